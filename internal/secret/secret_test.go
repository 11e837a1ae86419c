package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := testBox(t, 7)
	id := "330122199001011236"
	s1, err := b.Seal("people.id_number", id)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal("people.id_number", id)
	if s1 == s2 {
		t.Fatal("two seals of the same value are equal: nonce reused")
	}
	if strings.Contains(s1, id) || strings.Contains(s1, "1990") {
		t.Fatal("ciphertext contains the plaintext")
	}
	got, err := b.Open("people.id_number", s1)
	if err != nil || got != id {
		t.Fatalf("open: %q %v", got, err)
	}
	// Another field's associated data does not open it.
	if _, err := b.Open("people.phone", s1); err == nil {
		t.Fatal("ciphertext opened under another field")
	}
	// Another key does not open it.
	if _, err := testBox(t, 8).Open("people.id_number", s1); err == nil {
		t.Fatal("ciphertext opened with another key")
	}
	// Every single-character change is detected.
	for i := len(version); i < len(s1); i++ {
		c := []byte(s1)
		if c[i] == 'A' {
			c[i] = 'B'
		} else {
			c[i] = 'A'
		}
		if got, err := b.Open("people.id_number", string(c)); err == nil && got == id {
			t.Fatalf("tampered ciphertext at %d opened", i)
		}
	}
	for _, bad := range []string{"k1:", "k1:!!!", "k9:abcd", "plain"} {
		if _, err := b.Open("people.id_number", bad); err == nil {
			t.Fatalf("malformed %q opened", bad)
		}
	}
}

func TestLookupIsKeyedAndStable(t *testing.T) {
	a, b := testBox(t, 1), testBox(t, 2)
	if a.Lookup("f", "x") != a.Lookup("f", "x") {
		t.Fatal("lookup not deterministic")
	}
	if a.Lookup("f", "x") == b.Lookup("f", "x") {
		t.Fatal("lookup does not depend on the key")
	}
	if a.Lookup("f", "x") == a.Lookup("g", "x") {
		t.Fatal("lookup does not depend on the field")
	}
}

func TestKeys(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("short key accepted")
	}
	for _, bad := range []string{"", "not base64 !!", "AAAA"} {
		if _, err := ParseKey(bad); err == nil {
			t.Fatalf("ParseKey(%q) accepted", bad)
		}
	}
	path := filepath.Join(t.TempDir(), "keys", "data.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("create: %v %v", created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v %v", created, err)
	}
}

func TestCSRF(t *testing.T) {
	b := testBox(t, 3)
	tok := b.CSRFToken("session-a")
	if !b.CheckCSRF("session-a", tok) {
		t.Fatal("valid token refused")
	}
	if b.CheckCSRF("session-b", tok) || b.CheckCSRF("session-a", "") || b.CheckCSRF("", tok) || b.CheckCSRF("session-a", tok+"x") {
		t.Fatal("bad token accepted")
	}
}
