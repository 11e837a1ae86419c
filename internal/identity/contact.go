package identity

import (
	"context"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/stdcode"
)

// fieldEmail is the associated data of sealed e-mail addresses.
const fieldEmail = "people.email"

// Contact is how a person can be told about their cases, as screens show
// it: masked. An empty value means the person has none.
type Contact struct {
	PhoneMasked string `json:"phoneMasked"`
	EmailMasked string `json:"emailMasked"`
}

// Contact returns a person's contact details, masked.
func (s *Service) Contact(ctx context.Context, personID string) (*Contact, error) {
	c := &Contact{}
	err := s.DB.QueryRowContext(ctx, `SELECT phone_masked, email_masked FROM people WHERE id = ?`, personID).Scan(&c.PhoneMasked, &c.EmailMasked)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该人员")
	}
	return c, err
}

// PhonesIn and EmailsIn read the full phone numbers or e-mail addresses of
// the people personIDs inside q, in one statement, by person id ("" for
// someone who has none; absent for an id that names nobody), for a use case
// that sends them something and records each read in its own audit entry
// in that same transaction. Nothing is audited here.
func (s *Service) PhonesIn(ctx context.Context, q db.Querier, personIDs []string) (map[string]string, error) {
	return s.sealedIn(ctx, q, personIDs, "phone_enc", fieldPhone)
}

func (s *Service) EmailsIn(ctx context.Context, q db.Querier, personIDs []string) (map[string]string, error) {
	return s.sealedIn(ctx, q, personIDs, "email_enc", fieldEmail)
}

// sealedIn opens the sealed column of the people personIDs.
func (s *Service) sealedIn(ctx context.Context, q db.Querier, personIDs []string, column, field string) (map[string]string, error) {
	out := map[string]string{}
	var ids []any
	seen := map[string]bool{}
	for _, id := range personIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, `+column+` FROM people WHERE id IN (`+db.Placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, sealed string
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, err
		}
		if out[id], err = s.Box.Open(field, sealed); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// SetEmail sets (or, with "", removes) the e-mail address at which the
// person behind the caller's account is told about their cases. Company
// accounts set the address of their agent.
func (s *Service) SetEmail(ctx context.Context, actor *Principal, email string) (*Contact, error) {
	if actor == nil {
		return nil, apperr.New(apperr.Unauthenticated, "请先登录")
	}
	if actor.PersonID == "" {
		return nil, apperr.New(apperr.Forbidden, "工作人员账号不接收办件通知")
	}
	email = stdcode.NormalizeEmail(email)
	if email != "" {
		if err := stdcode.ValidateEmail(email); err != nil {
			return nil, &apperr.Error{Code: apperr.Invalid, Message: err.Error(), Fields: map[string]string{"email": err.Error()}}
		}
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		masked, err := s.storeEmail(ctx, tx, actor.PersonID, email)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Entry{Action: "person.email_set", ObjectType: "person", ObjectID: actor.PersonID,
			Detail: map[string]any{"email": masked}})
	})
	if err != nil {
		return nil, err
	}
	return s.Contact(ctx, actor.PersonID)
}

// storeEmail seals and stores a person's e-mail address and returns it masked.
func (s *Service) storeEmail(ctx context.Context, tx *db.Tx, personID, email string) (string, error) {
	enc, masked := "", ""
	if email != "" {
		var err error
		if enc, err = s.Box.Seal(fieldEmail, email); err != nil {
			return "", err
		}
		masked = stdcode.MaskEmail(email)
	}
	r, err := tx.ExecContext(ctx, `UPDATE people SET email_enc = ?, email_masked = ? WHERE id = ?`, enc, masked, personID)
	if err != nil {
		return "", err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return "", apperr.New(apperr.NotFound, "未找到该人员")
	}
	return masked, nil
}

// PersonEmail gives a person an e-mail address for notices (validated
// like SetEmail).
func (sd Seeder) PersonEmail(ctx context.Context, personID, email string) error {
	email = stdcode.NormalizeEmail(email)
	if err := stdcode.ValidateEmail(email); err != nil {
		return apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	_, err := sd.S.storeEmail(ctx, sd.Tx, personID, email)
	return err
}
