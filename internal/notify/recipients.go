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

// loadApplicant reads the case an event is about; db.ErrNoRows when there is none.
func loadApplicant(ctx context.Context, q db.Querier, caseID string) (*applicantOf, error) {
	a := &applicantOf{}
	var no, personID, companyID, company *string
	err := q.QueryRowContext(ctx, `SELECT c.case_no, c.item_name, c.applicant_kind, c.applicant_person_id, c.applicant_company_id, co.name
		FROM cases c LEFT JOIN companies co ON co.id = c.applicant_company_id WHERE c.id = ?`, caseID).
		Scan(&no, &a.Item, &a.Kind, &personID, &companyID, &company)
	if err != nil {
		return nil, err
	}
	a.No, a.PersonID, a.CompanyID, a.Company = deref(no), deref(personID), deref(companyID), deref(company)
	return a, nil
}

// audienceOf: for a person, their own accounts and themself; for a
// company, its accounts and agents authorised at the moment they are told
// (an agent whose authorisation has ended hears nothing more).
func audienceOf(ctx context.Context, q db.Querier, a *applicantOf, at time.Time) (*audience, error) {
	out := &audience{}
	var accounts, people string
	var args []any
	if a.Kind == "company" {
		valid := ` g.company_id = ? AND g.valid_from <= ? AND (g.valid_to IS NULL OR g.valid_to > ?)`
		accounts = `SELECT a.id FROM accounts a JOIN company_agents g ON g.company_id = a.company_id AND g.person_id = a.person_id
			WHERE a.kind = 'company' AND a.disabled = ? AND` + valid + ` ORDER BY a.id`
		people = `SELECT p.id, p.name, p.phone_masked, p.email_masked FROM company_agents g JOIN people p ON p.id = g.person_id
			WHERE` + valid + ` ORDER BY p.id`
		args = []any{a.CompanyID, at, at}
	} else {
		accounts = `SELECT id FROM accounts WHERE kind = 'person' AND disabled = ? AND person_id = ? ORDER BY id`
		people = `SELECT id, name, phone_masked, email_masked FROM people WHERE id = ?`
		args = []any{a.PersonID}
	}
	rows, err := q.QueryContext(ctx, accounts, append([]any{false}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out.Accounts = append(out.Accounts, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	prows, err := q.QueryContext(ctx, people, args...)
	if err != nil {
		return nil, err
	}
	defer prows.Close()
	for prows.Next() {
		var p person
		if err := prows.Scan(&p.ID, &p.Name, &p.PhoneMasked, &p.EmailMasked); err != nil {
			return nil, err
		}
		out.People = append(out.People, p)
	}
	return out, prows.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
