package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"

	"yiwang/internal/app"
	"yiwang/internal/db"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
	"yiwang/internal/stdcode"
)

// applicant is someone cases are for: a person, or a company with the
// agent who acts for it. accountID is the login that applies online ("" for
// people known only from the window).
type applicant struct {
	kind      string // person | company
	personID  string // the person, or the company's agent
	companyID string
	name      string // the person's name, or the company's
	accountID string
	org       string // timeline org of the account: 申请人, or the company's name
	// What 免填写 fields are filled with.
	prefill map[string]string
	files   []string // files this applicant uploaded (named accounts)
}

// population is everyone the generated cases involve.
type population struct {
	people    []*applicant // synthetic people
	companies []*applicant // synthetic companies
	named     map[string]*applicant
	clerk     *identity.Principal
	staff     map[string]*identity.Principal // username → principal
	files     []string                       // uploaded by the clerk, used by everyone else
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程")
	given    = []string{"秀英", "建国", "丽华", "志强", "海燕", "晓峰", "佳怡", "子涵", "国华", "美玲", "文博", "雨萱", "宇航", "欣怡", "俊杰", "桂芳", "伟", "敏", "静", "磊", "婷", "浩然", "思远", "春燕"}
	trades   = []string{"餐饮管理", "商贸", "建材", "茶业", "制笔", "农业开发", "民宿", "电子商务", "物流", "服装"}
	streets  = []string{"桐君街道迎春南路", "桐君街道春江路", "旧县街道富春路", "城南街道白云源东路", "凤川街道翙岗路", "横村镇横村大道", "分水镇五云路"}
)

func orgOf(p *identity.Principal) string {
	switch {
	case p.IsStaff() && p.HasRole(identity.RoleClerk):
		return p.Department + "·综合窗口"
	case p.IsStaff():
		return p.Department
	case p.CompanyName != "":
		return p.CompanyName
	}
	return "申请人"
}

// login is the demo account as the server would see it.
func login(ctx context.Context, a *app.App, user string) (*identity.Principal, error) {
	p, err := a.Identity.Login(ctx, user, demo.Password, "127.0.0.1")
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	return p, nil
}

// named loads a demo applicant account with the data its forms prefill.
func namedApplicant(ctx context.Context, a *app.App, user string) (*applicant, *identity.Principal, error) {
	p, err := login(ctx, a, user)
	if err != nil {
		return nil, nil, err
	}
	ap := &applicant{personID: p.PersonID, accountID: p.AccountID, org: orgOf(p), prefill: map[string]string{}}
	person, err := a.Identity.UnmaskedIn(ctx, a.DB, p.PersonID)
	if err != nil {
		return nil, nil, err
	}
	ap.prefill["person.name"], ap.prefill["person.idNumber"], ap.prefill["person.phone"] = person.Name, person.IDNumber, person.Phone
	switch p.Kind {
	case identity.KindPerson:
		ap.kind, ap.name = "person", person.Name
	case identity.KindCompany:
		c, err := a.Identity.Company(ctx, p.CompanyID)
		if err != nil {
			return nil, nil, err
		}
		ap.kind, ap.companyID, ap.name = "company", c.ID, c.Name
		ap.prefill["company.name"], ap.prefill["company.creditCode"], ap.prefill["company.legalRep"], ap.prefill["company.address"] = c.Name, c.CreditCode, c.LegalRepName, c.Address
	default:
		return nil, nil, fmt.Errorf("%s is not an applicant account", user)
	}
	return ap, p, nil
}

// buildPopulation creates the synthetic people (half of them with an
// online account) and companies (with an agent; half with an account) in
// one transaction through identity's seeder, logs in the demo accounts and
// uploads the PDFs the materials point at.
func buildPopulation(ctx context.Context, a *app.App, r *rand.Rand, nPeople, nCompanies int, staffUsers []string) (*population, error) {
	pop := &population{named: map[string]*applicant{}, staff: map[string]*identity.Principal{}}
	hash, err := identity.HashPassword(demo.Password)
	if err != nil {
		return nil, err
	}
	err = a.DB.InTx(ctx, func(tx *db.Tx) error {
		sd := identity.Seeder{S: a.Identity, Tx: tx}
		for i := range nPeople + nCompanies {
			// 17 digits: 桐庐 + a birth date + a sequence the demo people
			// do not use (500–999), then the check character.
			birth := fmt.Sprintf("%04d%02d%02d", 1955+i/500%50, 1+i/25000%12, 1+i/500%28)
			first := fmt.Sprintf("330122%s%03d", birth, 500+i%500)
			c, err := stdcode.IDCheckChar(first)
			if err != nil {
				return err
			}
			name := string(surnames[r.IntN(len(surnames))]) + given[r.IntN(len(given))]
			phone := fmt.Sprintf("1%d%08d", []int{35, 39, 58, 86, 88}[i%5], r.IntN(100000000))
			idn := first + string(c)
			pid, err := sd.Person(ctx, identity.NewPerson{Name: name, IDNumber: idn, Phone: phone})
			if err != nil {
				return fmt.Errorf("person %d: %w", i, err)
			}
			ap := &applicant{kind: "person", personID: pid, name: name, org: "申请人",
				prefill: map[string]string{"person.name": name, "person.idNumber": idn, "person.phone": phone}}
			if i%2 == 0 {
				if ap.accountID, err = sd.PersonAccount(ctx, fmt.Sprintf("benchp%06d", i), hash, pid, name); err != nil {
					return err
				}
			}
			if i < nPeople {
				pop.people = append(pop.people, ap)
				continue
			}
			// The last nCompanies people run a company each.
			j := i - nPeople
			org := fmt.Sprintf("MB%06d", j)
			oc, err := stdcode.OrgCodeCheckChar(org)
			if err != nil {
				return err
			}
			body := "91330122" + org + string(oc)
			cc, err := stdcode.CreditCodeCheckChar(body)
			if err != nil {
				return err
			}
			co := identity.Company{Name: fmt.Sprintf("桐庐%s%s有限公司", given[j%len(given)], trades[j/len(given)%len(trades)]) + suffix(j),
				CreditCode: body + string(cc), LegalRepName: name, RegionCode: "330122001000",
				Address: fmt.Sprintf("桐庐县%s%d号", streets[j%len(streets)], 1+j%399)}
			cid, err := sd.Company(ctx, co, pid)
			if err != nil {
				return fmt.Errorf("company %d: %w", j, err)
			}
			cap := &applicant{kind: "company", personID: pid, companyID: cid, name: co.Name, org: co.Name,
				prefill: map[string]string{"person.name": name, "person.idNumber": idn, "person.phone": phone,
					"company.name": co.Name, "company.creditCode": co.CreditCode, "company.legalRep": name, "company.address": co.Address}}
			if j%2 == 0 {
				if cap.accountID, err = sd.CompanyAccount(ctx, fmt.Sprintf("benchc%06d", j), hash, cid, pid, name); err != nil {
					return err
				}
			}
			pop.companies = append(pop.companies, cap)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, u := range []string{"citizen1", "citizen2", "company1"} {
		ap, p, err := namedApplicant(ctx, a, u)
		if err != nil {
			return nil, err
		}
		if ap.files, err = uploads(ctx, a, p, 3); err != nil {
			return nil, err
		}
		pop.named[u] = ap
	}
	if pop.clerk, err = login(ctx, a, "window1"); err != nil {
		return nil, err
	}
	if pop.files, err = uploads(ctx, a, pop.clerk, 6); err != nil {
		return nil, err
	}
	for _, u := range staffUsers {
		if pop.staff[u], err = login(ctx, a, u); err != nil {
			return nil, err
		}
	}
	return pop, nil
}

// suffix keeps company names apart when the name parts repeat.
func suffix(j int) string {
	if n := j / (len(given) * len(trades)); n > 0 {
		return fmt.Sprintf("（%d）", n)
	}
	return ""
}

// uploads stores n small real PDFs as p through the files service.
func uploads(ctx context.Context, a *app.App, p *identity.Principal, n int) ([]string, error) {
	var ids []string
	for i := range n {
		f, err := a.Files.Upload(ctx, p, fmt.Sprintf("材料%d.pdf", i+1), bytes.NewReader(pdf(i)))
		if err != nil {
			return nil, fmt.Errorf("upload as %s: %w", p.Username, err)
		}
		ids = append(ids, f.ID)
	}
	return ids, nil
}

// pdf is a valid one-page PDF (demo.ScanPDF); n varies its content so
// that each upload is a different file.
func pdf(n int) []byte { return []byte(demo.ScanPDF(fmt.Sprintf("bench scan %d", n))) }
