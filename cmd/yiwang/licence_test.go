package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yiwang/internal/app"
	"yiwang/internal/demo"
	"yiwang/internal/licence"
	"yiwang/internal/seal"
)

// TestSealAndLicenceVerifyCommands: an installation's seals are listed and
// exported; `licence verify` answers 0 only for a genuine, valid licence,
// offline with --trust and against the installation with --data; a P-256
// seal made by `seal create` signs licences that verify too.
func TestSealAndLicenceVerifyCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{5}, 32)
	e := map[string]string{"YIWANG_DATA_KEY": base64.StdEncoding.EncodeToString(key)}
	a, err := app.New(ctx, app.Config{DataDir: dir, DataKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, _, err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	holder, err := a.Identity.Login(ctx, "citizen2", demo.Password, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := a.Licences.Mine(ctx, holder)
	if err != nil || len(mine) == 0 {
		t.Fatalf("citizen2's licences: %v %v", mine, err)
	}
	var card licence.Licence
	for _, l := range mine {
		if l.TypeName == "居民身份证" {
			card = l
		}
	}
	_, file, err := a.Licences.PDF(ctx, holder, card.ID)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pdfPath := write("licence.pdf", file)
	qrPath := write("qr.txt", []byte(card.VerifyURL+"\n"))
	tampered := bytes.Clone(file)
	tampered[len(tampered)/3] ^= 1
	tamperedPath := write("tampered.pdf", tampered)

	cli := func(wantExit int, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		err := run(ctx, args, env(e), &out, io.Discard)
		got := 0
		var ee exitError
		switch {
		case errors.As(err, &ee):
			got = int(ee)
		case err != nil:
			got = -1
		}
		if got != wantExit {
			t.Fatalf("yiwang %s: exit %d (%v), want %d\n%s", strings.Join(args, " "), got, err, wantExit, out.String())
		}
		return out.String()
	}
	if out := cli(0, "seal", "list", "--data", dir); !strings.Contains(out, "制章机构\t一网演示电子印章制章中心") || !strings.Contains(out, "桐庐县公安局") {
		t.Fatalf("seal list: %s", out)
	}
	trustPath := filepath.Join(t.TempDir(), "trust.pem")
	cli(0, "seal", "trust", "--data", dir, "--out", trustPath)
	pem, err := os.ReadFile(trustPath)
	if err != nil || !bytes.HasPrefix(pem, []byte("-----BEGIN CERTIFICATE-----")) || bytes.Contains(pem, []byte("PRIVATE")) {
		t.Fatalf("trust file: %v\n%.200s", err, pem)
	}

	if out := cli(0, "licence", "verify", "--trust", trustPath, pdfPath); !strings.Contains(out, "离线核验无法查询") {
		t.Fatalf("offline PDF: %s", out)
	}
	cli(0, "licence", "verify", "--trust", trustPath, qrPath)
	if out := cli(0, "licence", "verify", "--data", dir, qrPath); !strings.Contains(out, card.Number) {
		t.Fatalf("installation QR: %s", out)
	}
	if out := cli(1, "licence", "verify", "--trust", trustPath, tamperedPath); !strings.Contains(out, "核验未通过") {
		t.Fatalf("tampered PDF: %s", out)
	}
	cli(1, "licence", "verify", "--trust", trustPath, write("empty.txt", nil))
	cli(2, "licence", "verify", "--trust", trustPath)
	cli(-1, "licence", "verify", "--trust", qrPath, pdfPath) // not PEM

	// Revoked: the installation knows, the offline verifier cannot.
	approver, err := a.Identity.Login(ctx, "gaj1", demo.Password, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if card.IssuerName != "桐庐县公安局" {
		t.Fatalf("citizen2's first licence is by %s", card.IssuerName)
	}
	if _, err := a.Licences.Revoke(ctx, approver, card.ID, "证件遗失，申请注销"); err != nil {
		t.Fatal(err)
	}
	if out := cli(1, "licence", "verify", "--data", dir, "--json", pdfPath); !strings.Contains(out, `"state": "revoked"`) {
		t.Fatalf("revoked, with the installation: %s", out)
	}
	cli(0, "licence", "verify", "--trust", trustPath, pdfPath)

	// A P-256 seal for 公安局: a new licence signed with it verifies once
	// the trust is exported again.
	if out := cli(0, "seal", "create", "--data", dir, "--dept", "gaj", "--alg", "p256"); !strings.Contains(out, "（p256）") {
		t.Fatalf("seal create: %s", out)
	}
	cli(2, "seal", "create", "--data", dir)
	a.Licences.Forget()
	l, err := a.Licences.IssueDirect(ctx, licence.IssueInput{TypeName: "居住证", DepartmentID: card.IssuerID, PersonID: holder.PersonID,
		Form: map[string][]string{"address": {"浙江省杭州市桐庐县城南街道迎春南路256号"}}}, a.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	cli(0, "seal", "trust", "--data", dir, "--out", trustPath)
	cli(0, "licence", "verify", "--trust", trustPath, write("p256.txt", []byte(l.QR)))
	if _, err := seal.ParseAlgorithm("rsa"); err == nil {
		t.Fatal("rsa accepted")
	}
}
