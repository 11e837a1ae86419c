package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
)

func TestNoticeFlags(t *testing.T) {
	var out, errb bytes.Buffer
	secretEnv := env(map[string]string{"YIWANG_SMTP_PASSWORD": "hunter2-smtp", "YIWANG_SMTP_ADDR": "smtp.example.gov.cn:587"})
	if err := run(context.Background(), []string{"serve", "--help"}, secretEnv, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, f := range []string{"-smtp-addr", "-smtp-from", "-smtp-user", "-smtp-password", "YIWANG_SMTP_PASSWORD"} {
		if !strings.Contains(errb.String(), f) {
			t.Errorf("serve --help lacks %s", f)
		}
	}
	if strings.Contains(errb.String(), "hunter2-smtp") {
		t.Fatal("--help prints the SMTP password")
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--smtp-addr", "smtp.example.gov.cn"}, nil, "主机:端口"},
		{[]string{"--smtp-addr", "smtp.example.gov.cn:587", "--smtp-from", "nobody"}, nil, "发件人"},
		{[]string{"--smtp-from", "noreply@example.gov.cn"}, nil, "--smtp-addr"},
		{nil, map[string]string{"YIWANG_SMTP_PASSWORD": "hunter2-smtp"}, "--smtp-addr"},
	} {
		errb.Reset()
		args := append([]string{"serve", "--data", t.TempDir()}, tc.args...)
		err := run(context.Background(), args, env(tc.env), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: %v, want an error about %s", tc.args, err, tc.want)
		}
	}
}

func TestNoticeFlagsLogNoPassword(t *testing.T) {
	var logs bytes.Buffer
	n := noticeFlags{addr: "smtp.example.gov.cn:587", from: "一网通办 <noreply@example.gov.cn>", user: "notices",
		getenv: env(map[string]string{"YIWANG_SMTP_PASSWORD": "hunter2-smtp"})}
	cfg, err := n.config(slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil || cfg.Email == nil {
		t.Fatalf("config: %v %v", cfg, err)
	}
	if !strings.Contains(logs.String(), "smtp.example.gov.cn:587") || !strings.Contains(logs.String(), "user notices") || strings.Contains(logs.String(), "hunter2") {
		t.Fatalf("log: %s", logs.String())
	}
}
