package licence

import (
	"context"
	"fmt"
	"time"

	"yiwang/internal/seal"
)

// IssueWork returns what issuing the licence ref again costs outside the
// database, for BenchmarkIssue: the QR payload signed, the data sealed,
// the PDF laid out and signed, the PDF sealed and digested for storage
// (IssueIn's work without its SQL and audit record). The keys, type and
// department are loaded once, as Prepare does for a transaction.
func IssueWork(ctx context.Context, s *Service, ref string) (func(now time.Time) (qr string, file []byte, err error), error) {
	is, err := s.Prepare(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.byID(ctx, s.DB, ref)
	if err != nil {
		return nil, err
	}
	d, err := s.openData(l)
	if err != nil {
		return nil, err
	}
	t, ok := is.types.byCode[l.TypeCode]
	if !ok {
		return nil, fmt.Errorf("no type %s", l.TypeCode)
	}
	dept := is.depts[l.IssuerID]
	sg, err := is.ring.departmentSigner(&dept)
	if err != nil {
		return nil, err
	}
	return func(now time.Time) (string, []byte, error) {
		made, err := is.make(ctx, nil, t, d, sg, now)
		if err != nil {
			return "", nil, err
		}
		if _, err := s.Box.Seal(fieldPDF, string(made.file)); err != nil {
			return "", nil, err
		}
		_ = seal.Digest(made.file)
		return made.QR, made.file, nil
	}, nil
}
