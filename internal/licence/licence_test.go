package licence_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/pdf"
	"yiwang/internal/secret"
)

var start = time.Date(2026, 10, 12, 9, 30, 0, 0, time.UTC)

type fixture struct {
	t     testing.TB
	ctx   context.Context
	DB    *db.DB
	IDs   *identity.Service
	Lic   *licence.Service
	Clock *clock.Adjustable
	who   map[string]*identity.Principal
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	box, err := secret.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, DB: d, Clock: clock.Fixed(start), who: map[string]*identity.Principal{}}
	f.IDs = identity.NewService(d, box, f.Clock)
	if _, err := demo.Load(ctx, f.IDs); err != nil {
		t.Fatal(err)
	}
	f.Lic = licence.NewService(d, f.IDs, box, f.Clock, nil, "https://zwfw.example.gov.cn")
	if n, err := demo.LoadLicences(ctx, f.Lic, f.IDs, start); err != nil || n != 9 {
		t.Fatalf("demo licences: %d, %v", n, err)
	}
	return f
}

func (f *fixture) login(user string) *identity.Principal {
	f.t.Helper()
	if p, ok := f.who[user]; ok {
		return p
	}
	p, err := f.IDs.Login(f.ctx, user, demo.Password, "127.0.0.1")
	if err != nil {
		f.t.Fatalf("login %s: %v", user, err)
	}
	f.who[user] = p
	return p
}

func (f *fixture) mine(user, typ string) *licence.Licence {
	f.t.Helper()
	ls, err := f.Lic.Mine(f.ctx, f.login(user))
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range ls {
		if ls[i].TypeName == typ {
			return &ls[i]
		}
	}
	f.t.Fatalf("%s holds no %s (has %d licences)", user, typ, len(ls))
	return nil
}

func (f *fixture) pdfOf(user string, l *licence.Licence) []byte {
	f.t.Helper()
	_, b, err := f.Lic.PDF(f.ctx, f.login(user), l.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) verify(qrText string, file []byte) *licence.Result {
	f.t.Helper()
	r, err := f.Lic.Verify(f.ctx, qrText, file)
	if err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	return r
}

func TestWalletVerifyRevokeAnnotate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ls, err := f.Lic.Mine(f.ctx, f.login("citizen1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 3 {
			t.Fatalf("citizen1 holds %d licences, want 3 (身份证, 户口簿, 社保卡)", len(ls))
		}
		// company1's agent sees their own identity card and the company's licences.
		food := f.mine("company1", "食品经营许可证")
		f.mine("company1", "营业执照")
		f.mine("company1", "居民身份证")
		if food.HolderKind != "company" || food.HolderIDMasked != "91330122MA2KDY7C5N" || !strings.HasPrefix(food.Number, "JY330122") {
			t.Fatalf("food licence: %+v", food)
		}
		got, err := f.Lic.Get(f.ctx, f.login("company1"), food.ID)
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, fv := range got.Fields {
			fields[fv.Label] = fv.Value
		}
		if fields["经营场所"] != "浙江省杭州市桐庐县桐君街道迎春南路188号1楼" || fields["食品安全管理人员"] != "周建平" {
			t.Fatalf("fields: %v", fields)
		}
		if !strings.HasPrefix(got.VerifyURL, "https://zwfw.example.gov.cn/verify?p="+licence.PayloadPrefix) {
			t.Fatalf("verify URL %q", got.VerifyURL)
		}

		// Someone else's licence does not exist for them; the issuing
		// department's staff see it; another department's do not.
		for _, u := range []string{"citizen1", "citizen2", "mzj1"} {
			if _, err := f.Lic.Get(f.ctx, f.login(u), food.ID); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("%s reading company1's licence: %v, want not found", u, err)
			}
			if _, _, err := f.Lic.PDF(f.ctx, f.login(u), food.ID); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("%s downloading company1's licence: %v, want not found", u, err)
			}
		}
		if _, err := f.Lic.Get(f.ctx, f.login("scjg1"), food.ID); err != nil {
			t.Fatalf("issuing department's approver: %v", err)
		}

		file := f.pdfOf("company1", food)
		for name, r := range map[string]*licence.Result{"qr": f.verify(food.VerifyURL, nil), "payload": f.verify(food.QR, nil), "pdf": f.verify("", file)} {
			if !r.Valid || !r.Genuine || r.Licence.Number != food.Number || r.Licence.State != "valid" || r.Seal == nil || r.Seal.Department != "桐庐县市场监督管理局" {
				t.Fatalf("%s: %+v", name, r)
			}
		}

		// The holder may not revoke; another department may not either.
		if _, err := f.Lic.Revoke(f.ctx, f.login("company1"), food.ID, "不再经营"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("holder revoking: %v", err)
		}
		if _, err := f.Lic.Revoke(f.ctx, f.login("scjg1"), food.ID, " "); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("revoke without reason: %v", err)
		}
		an, err := f.Lic.Annotate(f.ctx, f.login("scjg1"), food.ID, "经营场所门牌号变更为迎春南路190号")
		if err != nil {
			t.Fatal(err)
		}
		if len(an.Annotations) != 1 {
			t.Fatalf("annotations %v", an.Annotations)
		}
		annotated := f.pdfOf("company1", food)
		if bytes.Equal(annotated, file) {
			t.Fatal("the PDF was not re-made with the annotation")
		}
		if r := f.verify("", annotated); !r.Valid || len(r.Licence.Annotations) != 1 || !strings.Contains(r.Reason, "加注") {
			t.Fatalf("annotated: %+v", r)
		}
		if r := f.verify("", file); !r.Valid {
			t.Fatalf("the PDF from before the annotation stays genuine: %+v", r)
		}

		rv, err := f.Lic.Revoke(f.ctx, f.login("scjg1"), food.ID, "经营者申请注销")
		if err != nil {
			t.Fatal(err)
		}
		if rv.State != "revoked" {
			t.Fatalf("state %s", rv.State)
		}
		for name, r := range map[string]*licence.Result{"qr": f.verify(food.VerifyURL, nil), "pdf": f.verify("", file)} {
			if r.Valid || !r.Genuine || r.Licence.State != "revoked" || !strings.Contains(r.Reason, "注销：经营者申请注销") {
				t.Fatalf("%s after revocation: %+v", name, r)
			}
		}
		if _, err := f.Lic.Revoke(f.ctx, f.login("scjg1"), food.ID, "再次注销"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("revoking twice: %v", err)
		}
		var audits int
		if err := d.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('licence.issue', 'licence.revoke', 'licence.annotate')`).Scan(&audits); err != nil {
			t.Fatal(err)
		}
		if audits != 9+2 {
			t.Fatalf("%d audit records of issue/revoke/annotate, want 11", audits)
		}
	})
}

func TestExpiredIsNotValid(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	card := f.mine("citizen1", "社会保障卡") // issued 2023-10, valid ten years
	if r := f.verify(card.QR, nil); !r.Valid {
		t.Fatalf("before expiry: %+v", r)
	}
	f.Clock.Set(time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC))
	r := f.verify(card.QR, nil)
	if r.Valid || !r.Genuine || r.Licence.State != "expired" || !strings.Contains(r.Reason, "过有效期") {
		t.Fatalf("after expiry: %+v", r)
	}
	// The seals (valid five years from 2026) have expired by 2034: what they
	// sealed while valid stays genuine (a 长期 户口簿), and nothing new can
	// be sealed with them.
	book := f.mine("citizen1", "居民户口簿")
	if r := f.verify(book.QR, nil); !r.Valid {
		t.Fatalf("a 长期 licence sealed in 2026, verified in 2034: %+v", r)
	}
	if r := f.verify("", f.pdfOf("citizen1", book)); !r.Valid {
		t.Fatalf("its PDF in 2034: %+v", r)
	}
	p := f.login("citizen1")
	_, err := f.Lic.IssueDirect(f.ctx, licence.IssueInput{TypeName: "居住证", DepartmentID: book.IssuerID, PersonID: p.PersonID}, f.Clock.Now())
	if !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), "电子印章不在有效期内") {
		t.Fatalf("issuing with an expired seal: %v", err)
	}
}

// TestEveryChangeFails: any single-byte change of a payload and of a PDF
// (every byte of each) is not valid; nothing panics.
func TestEveryChangeFails(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	card := f.mine("citizen2", "机动车驾驶证")
	trust, err := f.Lic.TrustPEM(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ov, err := licence.NewOfflineVerifier(trust)
	if err != nil {
		t.Fatal(err)
	}
	offline := func(b []byte) *licence.Result { return ov.Verify(b, start) }
	if r := offline([]byte(card.QR)); !r.Valid {
		t.Fatalf("untouched payload offline: %+v", r)
	}
	// Every byte of the DER, flipped and re-encoded.
	der, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(card.QR, licence.PayloadPrefix))
	if err != nil {
		t.Fatal(err)
	}
	for i := range der {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(der)
			b[i] ^= x
			text := licence.PayloadPrefix + base64.RawURLEncoding.EncodeToString(b)
			if r := offline([]byte(text)); r.Valid || r.Genuine {
				t.Fatalf("payload byte %d ^ %#x verified: %+v", i, x, r)
			}
		}
	}
	// Every character of the text.
	for i := range card.QR {
		b := []byte(card.QR)
		b[i] = map[bool]byte{true: 'B', false: 'A'}[b[i] == 'A']
		if r := f.verify(string(b), nil); r.Valid || r.Genuine {
			t.Fatalf("payload character %d changed verified: %+v", i, r)
		}
	}
	file := f.pdfOf("citizen2", card)
	if r := offline(file); !r.Valid {
		t.Fatalf("untouched PDF offline: %+v", r)
	}
	// Every byte of the file, changed in place (one bit of it flipped), on
	// every core: a 71 KB licence is 71 000 verifications.
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var failed atomic.Int64
	failed.Store(-1)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bytes.Clone(file)
			for i := w; i < len(file) && failed.Load() < 0; i += workers {
				b[i] ^= 0x20
				if r := offline(b); r.Valid || r.Genuine {
					failed.CompareAndSwap(-1, int64(i))
				}
				b[i] ^= 0x20
			}
		}()
	}
	wg.Wait()
	if i := failed.Load(); i >= 0 {
		t.Fatalf("PDF byte %d of %d changed still verified", i, len(file))
	}
	if r := offline(file[:len(file)-1]); r.Valid {
		t.Fatal("truncated PDF verified")
	}
	if r := offline(file[:len(file)/2]); r.Valid || !strings.Contains(r.Reason, "不完整") {
		t.Fatalf("half a PDF: %+v", r)
	}
}

// TestBadInput: what people paste or upload is answered with a reason,
// never an error.
func TestBadInput(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	guide, err := pdf.New("服务指南", "yiwang")
	if err != nil {
		t.Fatal(err)
	}
	guide.Title("食品经营许可服务指南")
	notOurs, err := guide.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		qr   string
		file []byte
		want string
	}{
		"empty":           {qr: " ", want: "内容为空"},
		"random text":     {qr: "hello", want: "开头不是"},
		"other URL":       {qr: "https://example.com/", want: "网址中没有核验码"},
		"bad base64":      {qr: licence.PayloadPrefix + "!!!!", want: "编码已损坏"},
		"not DER":         {qr: licence.PayloadPrefix + "AAAA", want: "结构已损坏"},
		"too long":        {qr: licence.PayloadPrefix + strings.Repeat("A", 5000), want: "过长"},
		"not a PDF":       {file: []byte("%PDF-1.7\nnothing"), want: "文件不完整或没有电子签章"},
		"a PDF not ours":  {file: notOurs, want: "没有电子签章"},
		"empty file":      {file: []byte{}, want: "文件为空"},
		"broken sig":      {file: []byte("%PDF-1.7\n%%EOF\n%YWSIG1 ***\n%%EOF\n"), want: "电子签章已损坏"},
		"garbage sig DER": {file: []byte("%PDF-1.7\n%%EOF\n%YWSIG1 AAAA\n%%EOF\n"), want: "电子签章已损坏"},
	}
	for name, c := range cases {
		file := c.file
		if name == "empty file" {
			file = []byte{}
		}
		r := f.verify(c.qr, file)
		if r.Valid || r.Genuine || !strings.Contains(r.Reason, c.want) {
			t.Errorf("%s: %+v, want a reason with %q", name, r, c.want)
		}
	}

	// A licence signed by another installation's department (unknown
	// certificate): not genuine here, whatever it says.
	other := newFixture(t, dbtest.SQLite(t))
	foreign := other.mine("citizen1", "居民身份证")
	if r := f.verify(foreign.QR, nil); r.Valid || r.Genuine || !strings.Contains(r.Reason, "不在所信任的证书中") {
		t.Fatalf("foreign payload: %+v", r)
	}
	if r := f.verify("", other.pdfOf("citizen1", foreign)); r.Valid || r.Genuine || !strings.Contains(r.Reason, "制章") {
		t.Fatalf("foreign PDF: %+v", r)
	}
	trust, err := f.Lic.TrustPEM(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := licence.Offline(trust, other.pdfOf("citizen1", foreign), start); err != nil || r.Valid {
		t.Fatalf("foreign PDF offline: %+v %v", r, err)
	}
	if _, err := licence.Offline([]byte("not pem"), []byte(foreign.QR), start); err == nil {
		t.Fatal("offline verification with no trusted certificates")
	}
}

func TestTypeValidation(t *testing.T) {
	good := licence.Type{Code: "11100000000013338W032", Name: "居民身份证", DefinedBy: "公安部", Holder: "person",
		Fields: []licence.TypeField{{Key: "address", Label: "住址", From: []string{"address"}}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good type: %v", err)
	}
	bad := map[string]func(*licence.Type){
		"short code":     func(t *licence.Type) { t.Code = "1110000000001333" },
		"bad check":      func(t *licence.Type) { t.Code = "11100000000013338X032" },
		"no name":        func(t *licence.Type) { t.Name = "" },
		"holder":         func(t *licence.Type) { t.Holder = "robot" },
		"prefix":         func(t *licence.Type) { t.NumberPrefix = "jy" },
		"validity":       func(t *licence.Type) { t.Validity.Months = 12 },
		"reserved field": func(t *licence.Type) { t.Fields[0].Key = "number" },
		"no source":      func(t *licence.Type) { t.Fields[0].From = nil },
		"bad key":        func(t *licence.Type) { t.Fields[0].Key = "1x" },
	}
	for name, mutate := range bad {
		ty := good
		ty.Fields = append([]licence.TypeField(nil), good.Fields...)
		mutate(&ty)
		if err := ty.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	types, err := demo.LicenceTypes()
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range types {
		if err := ty.Validate(); err != nil {
			t.Errorf("demo type %s: %v", ty.Name, err)
		}
	}
}

// Licence numbers stay unique when approvals issue at once and when an
// approving transaction fails after its licence was numbered; on
// PostgreSQL the failed one's number is not given again (the counter
// commits on its own, so approvals do not queue on its row), on SQLite it
// is (the counter is part of the one writer's transaction).
func TestNumbersUniqueUnderConcurrencyAndFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		book := f.mine("citizen1", "居民户口簿")
		p := f.login("citizen1")
		in := licence.IssueInput{TypeName: "居住证", DepartmentID: book.IssuerID, PersonID: p.PersonID}
		serial := func(l *licence.Licence) string { return l.Number[len(l.Number)-6:] }
		first, err := f.Lic.IssueDirect(f.ctx, in, f.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		is, err := f.Lic.Prepare(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var failed *licence.Licence
		errLater := apperr.New(apperr.Conflict, "该办件刚刚已被他人处理")
		err = d.InTx(f.ctx, func(tx *db.Tx) error {
			var err error
			if failed, err = is.IssueIn(f.ctx, tx, in, f.Clock.Now()); err != nil {
				return err
			}
			return errLater // the approval fails after its licence was numbered
		})
		if err != errLater || failed == nil {
			t.Fatalf("failed approval: %v", err)
		}
		var n int
		if err := d.QueryRowContext(f.ctx, `SELECT count(*) FROM licences WHERE number = ?`, failed.Number).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the failed approval's licence was stored: %d, %v", n, err)
		}
		next, err := f.Lic.IssueDirect(f.ctx, in, f.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := map[db.Dialect]string{db.SQLite: "000002", db.Postgres: "000003"}[d.Dialect()]
		if serial(first) != "000001" || serial(failed) != "000002" || serial(next) != want {
			t.Fatalf("serials %s, failed %s, next %s; want 000001, 000002, %s", serial(first), serial(failed), serial(next), want)
		}
		var wg sync.WaitGroup
		numbers := make([]string, 8)
		errs := make([]error, 8)
		for i := range numbers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := f.Lic.IssueDirect(f.ctx, in, f.Clock.Now())
				if errs[i] = err; err == nil {
					numbers[i] = l.Number
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{first.Number: true, next.Number: true}
		for i, num := range numbers {
			if errs[i] != nil {
				t.Fatalf("concurrent issue %d: %v", i, errs[i])
			}
			if seen[num] {
				t.Fatalf("number %s given twice", num)
			}
			seen[num] = true
		}
	})
}
