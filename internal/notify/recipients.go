package notify

import (
	"context"
	"time"

	"yiwang/internal/db"
)

// applicantOf is who a case is for, as notify needs it.
type applicantOf struct {
	caseRef
	Kind      string // person | company
	PersonID  string
	CompanyID string
	Company   string
}

// person is someone to send a message to, with what they can receive.
type person struct {
	ID          string
	Name        string
	PhoneMasked string
	EmailMasked string
}

// audience is who hears of an event: the accounts that see it in the app
// and the people who get it by SMS and e-mail.
type audience struct {
	Accounts []string
	People   []person
}

// audiences are the audiences of many cases' applicants, read together.
type audiences struct {
	persons, companies map[string]*audience
}

// of is the audience of a: nobody when it has none.
func (as audiences) of(a applicantOf) audience {
	m, key := as.persons, a.PersonID
	if a.Kind == "company" {
		m, key = as.companies, a.CompanyID
	}
	if who := m[key]; who != nil {
		return *who
	}
	return audience{}
}

// loadApplicants reads the cases events are about, by case id; a case that
// does not exist is absent.
func loadApplicants(ctx context.Context, q db.Querier, caseIDs []string) (map[string]applicantOf, error) {
	out := map[string]applicantOf{}
	if len(caseIDs) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.case_no, c.item_name, c.applicant_kind, c.applicant_person_id, c.applicant_company_id, co.name
		FROM cases c LEFT JOIN companies co ON co.id = c.applicant_company_id WHERE c.id IN (`+db.Placeholders(len(caseIDs))+`)`, anys(caseIDs)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a applicantOf
		var no, personID, companyID, company *string
		if err := rows.Scan(&id, &no, &a.Item, &a.Kind, &personID, &companyID, &company); err != nil {
			return nil, err
		}
		a.No, a.PersonID, a.CompanyID, a.Company = deref(no), deref(personID), deref(companyID), deref(company)
		out[id] = a
	}
	return out, rows.Err()
}

// audiencesOf reads who hears of the cases of applicants, in at most four
// statements: for a person, their own accounts and themself; for a
// company, its accounts and agents authorised at the moment they are told
// (an agent whose authorisation has ended hears nothing more). Accounts
// and people come in the order of their ids.
func audiencesOf(ctx context.Context, q db.Querier, applicants []applicantOf, at time.Time) (audiences, error) {
	out := audiences{persons: map[string]*audience{}, companies: map[string]*audience{}}
	var persons, companies []string
	for _, a := range applicants {
		m, key := out.persons, a.PersonID
		if a.Kind == "company" {
			m, key = out.companies, a.CompanyID
		}
		if key == "" || m[key] != nil {
			continue
		}
		m[key] = &audience{}
		if a.Kind == "company" {
			companies = append(companies, key)
		} else {
			persons = append(persons, key)
		}
	}
	if len(persons) > 0 {
		in := db.Placeholders(len(persons))
		if err := readAudiences(ctx, q, out.persons,
			`SELECT person_id, id FROM accounts WHERE kind = 'person' AND disabled = ? AND person_id IN (`+in+`) ORDER BY person_id, id`,
			`SELECT id, id, name, phone_masked, email_masked FROM people WHERE id IN (`+in+`)`,
			append([]any{false}, anys(persons)...), anys(persons)); err != nil {
			return out, err
		}
	}
	if len(companies) > 0 {
		valid := ` g.company_id IN (` + db.Placeholders(len(companies)) + `) AND g.valid_from <= ? AND (g.valid_to IS NULL OR g.valid_to > ?)`
		args := append(anys(companies), at, at)
		if err := readAudiences(ctx, q, out.companies,
			`SELECT g.company_id, a.id FROM accounts a JOIN company_agents g ON g.company_id = a.company_id AND g.person_id = a.person_id
			WHERE a.kind = 'company' AND a.disabled = ? AND`+valid+` ORDER BY g.company_id, a.id`,
			`SELECT g.company_id, p.id, p.name, p.phone_masked, p.email_masked FROM company_agents g JOIN people p ON p.id = g.person_id
			WHERE`+valid+` ORDER BY g.company_id, p.id`,
			append([]any{false}, args...), args); err != nil {
			return out, err
		}
	}
	return out, nil
}

// readAudiences fills the audiences in m from a query of (key, account id)
// rows and one of (key, person) rows.
func readAudiences(ctx context.Context, q db.Querier, m map[string]*audience, accounts, people string, accountArgs, peopleArgs []any) error {
	rows, err := q.QueryContext(ctx, accounts, accountArgs...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, id string
		if err := rows.Scan(&key, &id); err != nil {
			return err
		}
		if who := m[key]; who != nil {
			who.Accounts = append(who.Accounts, id)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	prows, err := q.QueryContext(ctx, people, peopleArgs...)
	if err != nil {
		return err
	}
	defer prows.Close()
	for prows.Next() {
		var key string
		var p person
		if err := prows.Scan(&key, &p.ID, &p.Name, &p.PhoneMasked, &p.EmailMasked); err != nil {
			return err
		}
		if who := m[key]; who != nil {
			who.People = append(who.People, p)
		}
	}
	return prows.Err()
}

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
