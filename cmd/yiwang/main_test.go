package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// syncBuffer lets the test read what the running server printed.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestVersionHelpAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, &errb); err != nil || !strings.HasPrefix(out.String(), "yiwang ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	for _, sub := range [][]string{{"serve"}, {"demo"}, {"migrate"}, {"audit", "verify"}} {
		out.Reset()
		errb.Reset()
		err := run(context.Background(), append(sub, "--help"), env(nil), &out, &errb)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errb.String(), "-data") {
			t.Fatalf("%v --help: %v\n%s", sub, err, errb.String())
		}
		if sub[0] == "serve" && (!strings.Contains(errb.String(), "-addr") || !strings.Contains(errb.String(), "-db")) {
			t.Fatalf("serve --help lacks flags:\n%s", errb.String())
		}
	}
	var ee exitError
	if err := run(context.Background(), []string{"frobnicate"}, env(nil), &out, &errb); !errors.As(err, &ee) || ee != 2 {
		t.Fatalf("unknown subcommand: %v", err)
	}
	if err := run(context.Background(), nil, env(nil), &out, &errb); !errors.As(err, &ee) || ee != 2 {
		t.Fatalf("no subcommand: %v", err)
	}
	if err := run(context.Background(), []string{"migrate", "--bogus"}, env(nil), &out, &errb); !errors.As(err, &ee) || ee != 2 {
		t.Fatalf("unknown flag: %v", err)
	}
	if err := run(context.Background(), []string{"migrate", "extra"}, env(nil), &out, &errb); !errors.As(err, &ee) || ee != 2 {
		t.Fatalf("extra argument: %v", err)
	}
	if err := run(context.Background(), []string{"serve", "--log-level", "loud", "--data", t.TempDir()}, env(nil), &out, &errb); err == nil || !strings.Contains(err.Error(), "log-level") {
		t.Fatalf("bad log level: %v", err)
	}
	if err := run(context.Background(), []string{"migrate", "--db", "mysql://x/y"}, env(nil), &out, &errb); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("foreign DSN: %v", err)
	}
	if err := run(context.Background(), []string{"serve", "--data", t.TempDir()}, env(map[string]string{"YIWANG_DATA_KEY": "too-short"}), &out, &errb); err == nil || !strings.Contains(err.Error(), "YIWANG_DATA_KEY") {
		t.Fatalf("bad key: %v", err)
	}
}

func TestMigrateTwice(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--data", dir}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`执行了 [1-9][0-9]* 个迁移`).MatchString(out.String()) {
		t.Fatalf("first migrate: %s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate"}, env(map[string]string{"YIWANG_DATA": dir}), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "执行了 0 个迁移") {
		t.Fatalf("second migrate (data dir from env): %s", out.String())
	}
}

var listening = regexp.MustCompile(`yiwang 已启动：(http://\S+)`)

// startServer runs a subcommand until the returned stop is called.
func startServer(t *testing.T, args []string, e map[string]string) (url string, stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env(e), stdout, stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("server exited: %v\n%s\n%s", err, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			return errors.New("server did not shut down")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return url, stdout, stderr, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func login(t *testing.T, base, user string) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"yiwang-demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
}

func TestDemoServeAndAuditVerify(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	e := map[string]string{"YIWANG_DATA_KEY": key}
	url, out, logs, stop := startServer(t, []string{"demo", "--addr", "127.0.0.1:0", "--data", dir}, e)
	for _, user := range []string{"admin", "window1", "scjg1", "citizen1", "citizen2", "company1"} {
		if !strings.Contains(out.String(), user) {
			t.Errorf("demo account %s not printed", user)
		}
	}
	if code, body := get(t, url+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz: %d %s", code, body)
	}
	login(t, url, "citizen1")
	login(t, url, "window1")
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if strings.Contains(logs.String(), key) || strings.Contains(logs.String(), "yiwang-demo") {
		t.Fatal("a secret reached the log")
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no clean stop in the log:\n%s", logs.String())
	}

	// A second demo start keeps the existing data.
	_, out2, _, stop2 := startServer(t, []string{"demo", "--addr", "127.0.0.1:0", "--data", dir}, e)
	if !strings.Contains(out2.String(), "已有数据") || strings.Contains(out2.String(), "已载入演示数据") {
		t.Fatalf("second demo start: %s", out2.String())
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}

	var vout bytes.Buffer
	if err := run(context.Background(), []string{"audit", "verify", "--data", dir}, env(nil), &vout, io.Discard); err != nil {
		t.Fatalf("verify: %v %s", err, vout.String())
	}
	// Two logins, plus the demo catalogue's import (one entry per item and one for the import).
	if m := regexp.MustCompile(`审计链完整：(\d+) 条记录`).FindStringSubmatch(vout.String()); m == nil || m[1] == "0" || m[1] == "1" {
		t.Fatalf("verify output: %s", vout.String())
	}
	// Tamper with one record: verify reports it and exits 3.
	d, err := db.Open(context.Background(), "", filepath.Join(dir, "yiwang.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(context.Background(), `UPDATE audit_log SET ip = '10.0.0.1' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	vout.Reset()
	err = run(context.Background(), []string{"audit", "verify", "--data", dir}, env(nil), &vout, io.Discard)
	var ee exitError
	if !errors.As(err, &ee) || ee != 3 || !strings.Contains(vout.String(), "记录 #1（") || !strings.Contains(vout.String(), "的内容已被改动") {
		t.Fatalf("tampered verify: %v %s", err, vout.String())
	}
	// Verify on an empty directory says so instead of creating a database silently succeeding.
	if err := run(context.Background(), []string{"audit", "verify", "--data", t.TempDir()}, env(nil), &vout, io.Discard); err == nil {
		t.Fatal("verify of an empty data directory succeeded")
	}
}

func TestServeOnPostgres(t *testing.T) {
	dsn := dbtest.PostgresSchemaDSN(t)
	dir := t.TempDir()
	url, out, logs, stop := startServer(t, []string{"demo", "--addr", "127.0.0.1:0", "--data", dir, "--db", dsn}, nil)
	if !strings.Contains(out.String(), "citizen1") {
		t.Fatalf("demo on postgres: %s", out.String())
	}
	if code, body := get(t, url+"/api/v1/version"); code != 200 || !strings.Contains(body, `"database":"postgres"`) {
		t.Fatalf("version: %d %s", code, body)
	}
	login(t, url, "company1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "yiwang.db")); err == nil {
		t.Fatal("a SQLite file was created while running on PostgreSQL")
	}
	_ = logs
	// serve (not demo) on the same database: starts without reloading.
	url, out, _, stop = startServer(t, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, map[string]string{"YIWANG_DB": dsn})
	if strings.Contains(out.String(), "演示") {
		t.Fatalf("serve printed demo output: %s", out.String())
	}
	login(t, url, "citizen1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestImportExportCommands(t *testing.T) {
	dir := t.TempDir()
	_, _, _, stop := startServer(t, []string{"demo", "--addr", "127.0.0.1:0", "--data", dir}, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	xlsx := filepath.Join(t.TempDir(), "catalogue.xlsx")
	if err := run(context.Background(), []string{"export", "--data", dir, "--format", "xlsx", xlsx}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("export: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", "--data", dir, xlsx}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("import: %v %s", err, out.String())
	}
	if !regexp.MustCompile(`已导入 \d+ 个事项（新增 0，更新 0，未变 \d+）`).MatchString(out.String()) {
		t.Fatalf("re-import of the export changed something: %s", out.String())
	}
	// A bad file: every problem listed, exit status 3, nothing imported.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"format":"yiwang-catalogue/1","forms":[],"items":[{"name":"坏事项","baseCode":"12","department":"nope"}]}`), 0o600)
	out.Reset()
	err := run(context.Background(), []string{"import", "--data", dir, bad}, env(nil), &out, io.Discard)
	var ee exitError
	if !errors.As(err, &ee) || ee != 3 || !strings.Contains(out.String(), "baseCode") || !strings.Contains(out.String(), "实施机关 \"nope\" 不存在") {
		t.Fatalf("bad import: %v %s", err, out.String())
	}
	if err := run(context.Background(), []string{"import", "--data", dir}, env(nil), &out, io.Discard); !errors.As(err, &ee) || ee != 2 {
		t.Fatalf("import without a file: %v", err)
	}
	if err := run(context.Background(), []string{"import", "--data", dir, "/no/such/file"}, env(nil), &out, io.Discard); err == nil {
		t.Fatal("import of a missing file succeeded")
	}
}
