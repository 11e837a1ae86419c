package identity

import (
	"context"
	"strings"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/stdcode"
)

// UnmaskedIn reads a person's full data inside q (a transaction of the
// caller), for a use case that needs it and records the read in its own
// audit entry in that same transaction (免填写: the applicant's ID number
// filled into the form they submit). Nothing is audited here.
func (s *Service) UnmaskedIn(ctx context.Context, q db.Querier, personID string) (*PersonUnmasked, error) {
	out := &PersonUnmasked{}
	var idEnc, phoneEnc string
	err := q.QueryRowContext(ctx, `SELECT id, name, id_number_masked, phone_masked, created_at, id_number_enc, phone_enc FROM people WHERE id = ?`, personID).
		Scan(&out.ID, &out.Name, &out.IDNumberMasked, &out.PhoneMasked, &out.CreatedAt, &idEnc, &phoneEnc)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该人员")
	}
	if err != nil {
		return nil, err
	}
	if out.IDNumber, err = s.Box.Open(fieldIDNumber, idEnc); err != nil {
		return nil, err
	}
	if phoneEnc != "" {
		if out.Phone, err = s.Box.Open(fieldPhone, phoneEnc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Company returns a company.
func (s *Service) Company(ctx context.Context, id string) (*Company, error) {
	return s.CompanyIn(ctx, s.DB, id)
}

// CompanyIn reads a company inside q (a caller's transaction).
func (s *Service) CompanyIn(ctx context.Context, q db.Querier, id string) (*Company, error) {
	c := &Company{}
	err := q.QueryRowContext(ctx, `SELECT id, name, credit_code, legal_rep_name, region_code, address FROM companies WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, &c.CreditCode, &c.LegalRepName, &c.RegionCode, &c.Address)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该企业")
	}
	return c, err
}

// FindCompanyByCreditCode finds a company by its 统一社会信用代码 for a
// window clerk taking in an application on the company's behalf.
func (s *Service) FindCompanyByCreditCode(ctx context.Context, actor *Principal, code string) (*Company, error) {
	if !actor.HasRole(RoleClerk) && !actor.HasRole(RoleAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有窗口人员和管理员可以按统一社会信用代码查找企业")
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if err := stdcode.ValidateCreditCode(code); err != nil {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: err.Error(), Fields: map[string]string{"creditCode": err.Error()}}
	}
	var id string
	err := s.DB.QueryRowContext(ctx, `SELECT id FROM companies WHERE credit_code = ?`, code).Scan(&id)
	if db.IsNoRows(err) {
		return nil, &apperr.Error{Code: apperr.NotFound, Message: "未找到该统一社会信用代码的企业", Fields: map[string]string{"creditCode": "未找到该企业"}}
	}
	if err != nil {
		return nil, err
	}
	return s.Company(ctx, id)
}

// RegisterWalkIn records a person who came to the window without an
// account (现场办事人), validated like a registration, so the clerk can take
// in their application. The person may register online later with the
// same ID number and find their cases.
func (s *Service) RegisterWalkIn(ctx context.Context, actor *Principal, in NewPerson) (*Person, error) {
	var id string
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.RegisterWalkInIn(ctx, tx, actor, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Person(ctx, id)
}

// RegisterWalkInIn is RegisterWalkIn inside the caller's transaction (the
// window intake registers the person with their first case, all or
// nothing). It returns the new person's id.
func (s *Service) RegisterWalkInIn(ctx context.Context, tx *db.Tx, actor *Principal, in NewPerson) (string, error) {
	if !actor.HasRole(RoleClerk) {
		return "", apperr.New(apperr.Forbidden, "只有综合窗口人员可以登记现场办事人")
	}
	f := apperr.FieldErrors{}
	s.validatePerson(&in, f)
	if err := f.Err(); err != nil {
		return "", err
	}
	id, err := s.insertPerson(ctx, tx, in)
	if err != nil {
		return "", err
	}
	return id, audit.Append(ctx, tx, s.now(), audit.Entry{Action: "person.register_walk_in", ObjectType: "person", ObjectID: id})
}
