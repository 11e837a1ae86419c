package identity

import (
	"context"
	"strings"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/stdcode"
)

// NewPerson is the input for creating a natural person.
type NewPerson struct {
	Name     string
	IDNumber string
	Phone    string
}

func (s *Service) validatePerson(in *NewPerson, f apperr.FieldErrors) {
	in.Name = strings.TrimSpace(in.Name)
	in.IDNumber = stdcode.NormalizeIDNumber(in.IDNumber)
	in.Phone = stdcode.NormalizePhone(in.Phone)
	if in.Name == "" {
		f.Add("name", "请填写姓名")
	} else if utf8.RuneCountInString(in.Name) > 50 {
		f.Add("name", "姓名不能超过50个字")
	}
	if in.IDNumber == "" {
		f.Add("idNumber", "请填写公民身份号码")
	} else if err := stdcode.ValidateIDNumber(in.IDNumber, s.now()); err != nil {
		f.Add("idNumber", err.Error())
	}
	if in.Phone == "" {
		f.Add("phone", "请填写手机号码")
	} else if err := stdcode.ValidateMobile(in.Phone); err != nil {
		f.Add("phone", err.Error())
	}
}

// insertPerson stores a person with encrypted ID number and phone; a
// second person with the same ID number is a Conflict.
func (s *Service) insertPerson(ctx context.Context, tx *db.Tx, in NewPerson) (string, error) {
	idEnc, err := s.Box.Seal(fieldIDNumber, in.IDNumber)
	if err != nil {
		return "", err
	}
	phoneEnc, err := s.Box.Seal(fieldPhone, in.Phone)
	if err != nil {
		return "", err
	}
	id := newID()
	_, err = tx.ExecContext(ctx, `INSERT INTO people (id, name, id_number_enc, id_number_hash, id_number_masked, phone_enc, phone_hash, phone_masked, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, in.Name, idEnc, s.Box.Lookup(fieldIDNumber, in.IDNumber), stdcode.MaskIDNumber(in.IDNumber),
		phoneEnc, s.Box.Lookup(fieldPhone, in.Phone), stdcode.MaskPhone(in.Phone), s.now())
	if apperr.Is(err, apperr.Conflict) {
		return "", &apperr.Error{Code: apperr.Conflict, Message: "该公民身份号码已登记", Fields: map[string]string{"idNumber": "该公民身份号码已登记，请直接登录或找回账号"}, Err: err}
	}
	return id, err
}

// Registration is a person registering themselves online.
type Registration struct {
	NewPerson
	Username string
	Password string
}

// Register creates a person and their account in one transaction.
func (s *Service) Register(ctx context.Context, in Registration) (*Principal, error) {
	f := apperr.FieldErrors{}
	s.validatePerson(&in.NewPerson, f)
	in.Username = NormalizeUsername(in.Username)
	if err := ValidateUsername(in.Username); err != nil {
		f.Add("username", err.Error())
	}
	if err := ValidatePassword(in.Password); err != nil {
		f.Add("password", apperr.Message(err))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	var accountID string
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		personID, err := s.insertPerson(ctx, tx, in.NewPerson)
		if err != nil {
			return err
		}
		accountID, err = s.insertAccount(ctx, tx, newAccount{Username: in.Username, Kind: KindPerson, DisplayName: in.Name, PasswordHash: hash, PersonID: personID})
		if err != nil {
			return err
		}
		ctx := audit.WithMeta(ctx, func() audit.Meta { m := audit.MetaFrom(ctx); m.ActorID, m.ActorName = accountID, in.Name; return m }())
		return audit.Append(ctx, tx, s.now(), audit.Entry{Action: "account.register", ObjectType: "account", ObjectID: accountID, AfterRef: personID})
	})
	if err != nil {
		return nil, err
	}
	return s.principal(ctx, accountID)
}

// ValidateUsername: 3–32 characters of lower-case letters, digits, '_', '-', '.'.
func ValidateUsername(u string) error {
	if len(u) < 3 || len(u) > 32 {
		return apperr.New(apperr.Invalid, "用户名应为3到32位")
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return apperr.New(apperr.Invalid, "用户名只能包含小写字母、数字和 _ - .")
		}
	}
	return nil
}

// Person returns a person, masked.
func (s *Service) Person(ctx context.Context, id string) (*Person, error) {
	p := &Person{}
	err := s.DB.QueryRowContext(ctx, `SELECT id, name, id_number_masked, phone_masked, created_at FROM people WHERE id = ?`, id).
		Scan(&p.ID, &p.Name, &p.IDNumberMasked, &p.PhoneMasked, &p.CreatedAt)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该人员")
	}
	return p, err
}

// FindPersonByIDNumber finds a person by exact ID number through the lookup
// hash (the clerk at the window types the number from the ID card).
func (s *Service) FindPersonByIDNumber(ctx context.Context, actor *Principal, idNumber string) (*Person, error) {
	if !actor.HasRole(RoleClerk) && !actor.HasRole(RoleAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有窗口人员和管理员可以按身份证号查找人员")
	}
	idNumber = stdcode.NormalizeIDNumber(idNumber)
	if err := stdcode.ValidateIDNumber(idNumber, s.now()); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	var id string
	err := s.DB.QueryRowContext(ctx, `SELECT id FROM people WHERE id_number_hash = ?`, s.Box.Lookup(fieldIDNumber, idNumber)).Scan(&id)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到持该身份证号的人员")
	}
	if err != nil {
		return nil, err
	}
	return s.Person(ctx, id)
}

// RevealPerson returns a person's unmasked data to someone entitled to it
// (the person themself, a window clerk, an administrator) and records the
// read in the audit trail, in the same transaction, with the stated reason.
func (s *Service) RevealPerson(ctx context.Context, actor *Principal, personID, reason string) (*PersonUnmasked, error) {
	if actor == nil {
		return nil, apperr.New(apperr.Unauthenticated, "请先登录")
	}
	self := actor.PersonID == personID && actor.Kind == KindPerson
	if !self && !actor.HasRole(RoleClerk) && !actor.HasRole(RoleAdmin) {
		// Not entitled: answer as if the person did not exist.
		return nil, apperr.New(apperr.NotFound, "未找到该人员")
	}
	reason = strings.TrimSpace(reason)
	if !self && reason == "" {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "查看完整个人信息须填写事由", Fields: map[string]string{"reason": "请填写查看事由"}}
	}
	if utf8.RuneCountInString(reason) > 200 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "事由不能超过200字", Fields: map[string]string{"reason": "事由不能超过200字"}}
	}
	out := &PersonUnmasked{}
	var idEnc, phoneEnc string
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, name, id_number_masked, phone_masked, created_at, id_number_enc, phone_enc FROM people WHERE id = ?`, personID).
			Scan(&out.ID, &out.Name, &out.IDNumberMasked, &out.PhoneMasked, &out.CreatedAt, &idEnc, &phoneEnc)
		if db.IsNoRows(err) {
			return apperr.New(apperr.NotFound, "未找到该人员")
		}
		if err != nil {
			return err
		}
		if out.IDNumber, err = s.Box.Open(fieldIDNumber, idEnc); err != nil {
			return err
		}
		if out.Phone, err = s.Box.Open(fieldPhone, phoneEnc); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Entry{Action: "person.reveal", ObjectType: "person", ObjectID: personID,
			Detail: map[string]any{"reason": reason, "fields": []string{"idNumber", "phone"}}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
