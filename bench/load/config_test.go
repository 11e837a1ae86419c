package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		base: defaultBase, user: defaultUser, password: defaultPassword, paths: []string{defaultPath},
		clients: 32, duration: 10 * time.Second, warmup: time.Second, timeout: 10 * time.Second, login: true,
	}
	if !equalConfig(cfg, want) {
		t.Fatalf("defaults = %+v\nwant %+v", redacted(cfg), redacted(want))
	}
}

func equalConfig(a, b config) bool {
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}

func redacted(c config) config {
	if c.password != "" {
		c.password = "<set>"
	}
	return c
}

func TestParseConfig(t *testing.T) {
	env := func(k string) string {
		if k == passwordEnv {
			return "from-env"
		}
		return ""
	}
	tests := []struct {
		name  string
		args  []string
		env   func(string) string
		check func(config) bool
	}{
		{"password from env", nil, env, func(c config) bool { return c.password == "from-env" }},
		{"flag beats env", []string{"-password", "from-flag"}, env, func(c config) bool { return c.password == "from-flag" }},
		{"demo password without env", nil, noEnv, func(c config) bool { return c.password == defaultPassword }},
		{"repeatable paths replace default", []string{"-path", "/a", "-path", "/b?x=1"}, noEnv,
			func(c config) bool { return slices.Equal(c.paths, []string{"/a", "/b?x=1"}) }},
		{"-n selects count mode", []string{"-n", "200"}, noEnv, func(c config) bool { return c.requests == 200 }},
		{"-d", []string{"-d", "20s", "-c", "64"}, noEnv, func(c config) bool { return c.duration == 20*time.Second && c.clients == 64 }},
		{"anonymous", []string{"-login=false"}, noEnv, func(c config) bool { return !c.login }},
		{"cookie, json", []string{"-cookie", "-json"}, noEnv, func(c config) bool { return c.cookie && c.jsonOut }},
		{"ipv6 loopback", []string{"-base", "http://[::1]:8080"}, noEnv, func(c config) bool { return c.base == "http://[::1]:8080" }},
		{"remote allowed explicitly", []string{"-base", "https://example.com", "-allow-remote"}, noEnv, func(c config) bool { return c.allowRemote }},
		{"no warmup", []string{"-warmup", "0"}, noEnv, func(c config) bool { return c.warmup == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig(tt.args, tt.env, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Fatalf("unexpected config %+v", redacted(cfg))
			}
		})
	}
}

func TestParseConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // part of the message
	}{
		{"both -d and -n", []string{"-d", "5s", "-n", "10"}, "exclusive"},
		{"zero clients", []string{"-c", "0"}, "-c must be"},
		{"too many clients", []string{"-c", "5000"}, "-c must be"},
		{"duration over cap", []string{"-d", "11m"}, "-d must be"},
		{"zero duration", []string{"-d", "0s"}, "-d must be"},
		{"negative count", []string{"-n", "-1"}, "-n must be"},
		{"count over cap", []string{"-n", "20000000"}, "-n must be"},
		{"warmup over cap", []string{"-warmup", "2m"}, "-warmup must be"},
		{"negative warmup", []string{"-warmup", "-1s"}, "-warmup must be"},
		{"timeout zero", []string{"-timeout", "0s"}, "-timeout must be"},
		{"cookie without login", []string{"-cookie", "-login=false"}, "-cookie needs"},
		{"empty user", []string{"-user", ""}, "-user"},
		{"relative path", []string{"-path", "api/v1/me"}, "single /"},
		{"scheme-relative path", []string{"-path", "//evil.example/x"}, "single /"},
		{"absolute URL as path", []string{"-path", "http://evil.example/x"}, "single /"},
		{"fragment in path", []string{"-path", "/a#b"}, "fragment"},
		{"remote base", []string{"-base", "http://example.com:8080"}, "not loopback"},
		{"private address", []string{"-base", "http://10.0.0.5:8080"}, "not loopback"},
		{"unspecified address", []string{"-base", "http://0.0.0.0:8080"}, "not loopback"},
		{"base without scheme", []string{"-base", "localhost:8080"}, "http://"},
		{"ftp base", []string{"-base", "ftp://localhost"}, "http://"},
		{"credentials in base", []string{"-base", "http://u:p@localhost:8080"}, "credentials"},
		{"query in base", []string{"-base", "http://localhost:8080/?a=1"}, "query"},
		{"unknown flag", []string{"-bogus"}, "bogus"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, noEnv, io.Discard)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %q, want it to mention %q", err, tt.want)
			}
			if exitCode(err, io.Discard) != 2 {
				t.Fatalf("exit code for a usage error is not 2")
			}
		})
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, func(string) string { return "s3cret-env" }, &out)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err, io.Discard) != 0 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(out.String(), defaultPassword) || strings.Contains(out.String(), "s3cret-env") {
		t.Fatal("-h shows a password")
	}
	if !strings.Contains(out.String(), "-allow-remote") {
		t.Fatalf("usage lacks flags:\n%s", out.String())
	}
}
