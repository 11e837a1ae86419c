package identity_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
	"yiwang/internal/secret"
	"yiwang/internal/stdcode"
)

func TestPasswords(t *testing.T) {
	h, err := identity.HashPassword("yiwang-demo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format: %s", h)
	}
	h2, _ := identity.HashPassword("yiwang-demo")
	if h == h2 {
		t.Fatal("same salt twice")
	}
	if !identity.CheckPassword(h, "yiwang-demo") || identity.CheckPassword(h, "yiwang-demO") || identity.CheckPassword(h, "") {
		t.Fatal("check is wrong")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", strings.Replace(h, "m=19456", "m=99999999", 1), strings.Replace(h, "t=2", "t=x", 1)} {
		if identity.CheckPassword(bad, "yiwang-demo") {
			t.Fatalf("malformed hash accepted: %q", bad)
		}
	}
	for pw, ok := range map[string]bool{"short1!": false, "abcdefgh": false, "12345678": false, "abcd1234": true, "yiwang-demo": true, "密码很长很长很长1": true, strings.Repeat("a1", 70): false} {
		if err := identity.ValidatePassword(pw); (err == nil) != ok {
			t.Errorf("ValidatePassword(%q) = %v", pw, err)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := identity.NewLoginLimiter()
	now := time.Date(2026, 10, 8, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		if !l.Allow("u", "1.1.1.1", now) {
			t.Fatalf("attempt %d refused", i)
		}
		l.Fail("u", "1.1.1.1", now)
	}
	if l.Allow("u", "2.2.2.2", now) {
		t.Fatal("6th attempt allowed (from another address)")
	}
	if !l.Allow("v", "1.1.1.1", now) {
		t.Fatal("another user blocked")
	}
	if !l.Allow("u", "1.1.1.1", now.Add(16*time.Minute)) {
		t.Fatal("still blocked after the window")
	}
	l.Succeed("u")
	for i := 0; i < 50; i++ {
		l.Fail("w"+string(rune('a'+i%26))+string(rune('a'+i/26)), "3.3.3.3", now)
	}
	if l.Allow("fresh", "3.3.3.3", now) {
		t.Fatal("address with 50 failures not blocked")
	}
}

func TestRegionContainsAndScope(t *testing.T) {
	cases := []struct {
		outer, inner string
		want         bool
	}{
		{"330000000000", "330122102201", true},
		{"330100000000", "330122000000", true},
		{"330122000000", "330122102000", true},
		{"330122000000", "330106000000", false},
		{"330122102000", "330122102201", true},
		{"330122102000", "330122101001", false},
		{"441900000000", "441900003000", true},
		{"330122102201", "330122102201", true},
		{"bad", "330122000000", false},
	}
	for _, c := range cases {
		if got := identity.RegionContains(c.outer, c.inner); got != c.want {
			t.Errorf("RegionContains(%s, %s) = %v", c.outer, c.inner, got)
		}
	}
	p := &identity.Principal{Kind: identity.KindStaff, Roles: []identity.Role{identity.RoleApprover}, Scopes: []identity.Scope{{DepartmentID: "d1"}, {RegionCode: "330122102000"}}}
	if !p.CanSeeDepartment("d1", "110000000000") || p.CanSeeDepartment("d2", "330122000000") || !p.CanSeeDepartment("d3", "330122102201") {
		t.Fatal("department scope")
	}
	if !p.CanSeeRegion("330122102201") || p.CanSeeRegion("330122000000") {
		t.Fatal("region scope")
	}
	admin := &identity.Principal{Roles: []identity.Role{identity.RoleAdmin}}
	if !admin.CanSeeRegion("110000000000") {
		t.Fatal("admin scope")
	}
	var nobody *identity.Principal
	if nobody.HasRole(identity.RoleAdmin) || nobody.IsStaff() {
		t.Fatal("nil principal has powers")
	}
}

func newService(t *testing.T, d *db.DB, c clock.Clock) *identity.Service {
	box, err := secret.New(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return identity.NewService(d, box, c)
}

// TestStoreSuite runs the identity store on both databases with the demo data.
func TestStoreSuite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.Fixed(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		s := newService(t, d, clk)
		accounts, err := demo.Load(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(accounts) < 12 {
			t.Fatalf("only %d demo accounts", len(accounts))
		}
		for _, a := range accounts {
			p, err := s.Login(ctx, a.Username, demo.Password, "127.0.0.1")
			if err != nil {
				t.Fatalf("demo account %s cannot log in: %v", a.Username, err)
			}
			if p.DisplayName != a.Name {
				t.Errorf("%s: name %q", a.Username, p.DisplayName)
			}
		}
		window, _ := s.Login(ctx, "window1", demo.Password, "ip")
		if !window.HasRole(identity.RoleClerk) || !window.CanSeeRegion("330122102201") || window.CanSeeRegion("330106000000") {
			t.Fatalf("window1 roles/scope: %+v", window)
		}
		// Sessions: start, authenticate, expire, logout.
		token, exp, err := s.StartSession(ctx, window, "browser", "127.0.0.1", "test")
		if err != nil || !exp.Equal(clk.Now().Add(identity.BrowserSessionTTL)) {
			t.Fatalf("session: %v %v", exp, err)
		}
		if p, err := s.Authenticate(ctx, token); err != nil || p.Username != "window1" {
			t.Fatalf("authenticate: %v", err)
		}
		var stored int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE token_hash = ?`, token).Scan(&stored); err != nil || stored != 0 {
			t.Fatal("the raw token is stored")
		}
		clk.Advance(identity.BrowserSessionTTL + time.Second)
		if _, err := s.Authenticate(ctx, token); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("expired session: %v", err)
		}
		if n, err := s.PurgeExpiredSessions(ctx); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		token, _, _ = s.StartSession(ctx, window, "api", "127.0.0.1", "test")
		if _, err := s.Authenticate(ctx, token); err != nil { // now cached
			t.Fatal(err)
		}
		if err := s.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, token); err == nil {
			t.Fatal("token valid after logout")
		}
		// A company agent whose authorisation has lapsed cannot act for it.
		if _, err := d.ExecContext(ctx, `UPDATE company_agents SET valid_to = ? WHERE role = 'agent'`, clk.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "company1", demo.Password, "ip"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("lapsed agent: %v", err)
		}
		// A disabled account cannot log in, and its sessions stop working.
		citizen, _ := s.Login(ctx, "citizen2", demo.Password, "ip")
		tok, _, _ := s.StartSession(ctx, citizen, "browser", "ip", "")
		if _, err := s.Authenticate(ctx, tok); err != nil { // now cached
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE accounts SET disabled = ? WHERE username = 'citizen2'`, true); err != nil {
			t.Fatal(err)
		}
		s.InvalidateAccount(citizen.AccountID)
		if _, err := s.Login(ctx, "citizen2", demo.Password, "ip"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("disabled login: %v", err)
		}
		if _, err := s.Authenticate(ctx, tok); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("disabled session: %v", err)
		}
		// Lookup by ID number goes through the keyed hash.
		check, _ := stdcode.IDCheckChar("33012219560312002")
		person, err := s.FindPersonByIDNumber(ctx, window, "33012219560312002"+string(check))
		if err != nil || person.Name != "王秀英" || person.IDNumberMasked != "3301**********002"+string(check) {
			t.Fatalf("lookup: %+v %v", person, err)
		}
		if _, err := s.FindPersonByIDNumber(ctx, citizen, "33012219560312002"+string(check)); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("citizen lookup: %v", err)
		}
		regions, err := s.Regions(ctx, "330122000000")
		if err != nil || len(regions) != 7 || regions[0].FullName != "浙江省杭州市桐庐县桐君街道" || regions[0].Level != 4 {
			t.Fatalf("regions: %+v %v", regions, err)
		}
		if err := identity.InsertRegion(ctx, d, "330122999001", "无主村"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("orphan region: %v", err)
		}
		centres, err := s.Centres(ctx)
		if err != nil || len(centres) != 2 || len(centres[0].Windows)+len(centres[1].Windows) != 10 {
			t.Fatalf("centres: %+v %v", centres, err)
		}
	})
}

// Departments read before the demo data is loaded (the server's sweeper
// does at start-up) are not served from the cache after it.
func TestDepartmentsSeenRightAfterSeeding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, clock.Fixed(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)))
		before, err := s.Departments(ctx)
		if err != nil || len(before) != 0 {
			t.Fatalf("before: %d %v", len(before), err)
		}
		if _, err := demo.Load(ctx, s); err != nil {
			t.Fatal(err)
		}
		after, err := s.Departments(ctx)
		if err != nil || len(after) == 0 {
			t.Fatalf("departments right after seeding: %d %v (a stale cache)", len(after), err)
		}
	})
}

// PhonesIn and EmailsIn open the sealed addresses of many people in one
// read: "" for someone without one, nobody for an id that names no one.
func TestPhonesAndEmailsIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d, clock.Fixed(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)))
		if _, err := demo.Load(ctx, s); err != nil {
			t.Fatal(err)
		}
		personOf := func(username string) string {
			var id string
			if err := d.QueryRowContext(ctx, `SELECT person_id FROM accounts WHERE username = ?`, username).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		wang, li := personOf("citizen1"), personOf("citizen2")
		nobody := "01890000-0000-7000-8000-000000000000"
		ids := []string{li, wang, li, nobody}
		phones, err := s.PhonesIn(ctx, d, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(phones) != 2 || phones[li] != "13605718866" || phones[wang] != "13957112345" {
			t.Fatalf("phones: %v", phones)
		}
		emails, err := s.EmailsIn(ctx, d, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(emails) != 2 || emails[li] != "lijianguo@example.com" {
			t.Fatalf("e-mails: %v", emails)
		}
		if e, ok := emails[wang]; !ok || e != "" {
			t.Fatalf("王秀英 has no e-mail address: %q %v", e, ok)
		}
		if none, err := s.PhonesIn(ctx, d, nil); err != nil || len(none) != 0 {
			t.Fatalf("no ids: %v %v", none, err)
		}
		// Opened with another key, a sealed value does not open.
		other, err := secret.New(bytes.Repeat([]byte{9}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := identity.NewService(d, other, clock.Fixed(time.Now())).PhonesIn(ctx, d, []string{li}); err == nil {
			t.Fatal("a phone number opened with the wrong key")
		}
	})
}
