package main

import (
	"net/url"
	"testing"
)

func TestIsLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST", true},
		{"localhost.", true},
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"0.0.0.0", false},
		{"::", false},
		{"10.0.0.1", false},
		{"192.168.1.10", false},
		{"128.0.0.1", false},
		{"example.com", false},
		{"localhost.example.com", false},
		{"evil.localhost", false},
		{"127.0.0.1.nip.io", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isLoopbackHost(tt.host); got != tt.want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		base        string
		allowRemote bool
		ok          bool
	}{
		{"http://localhost:8080", false, true},
		{"http://127.0.0.1:8080/prefix", false, true},
		{"http://[::1]:8080", false, true},
		{"https://example.com", false, false},
		{"https://example.com", true, true},
		{"http://[2001:db8::1]:80", false, false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkTarget(u, tt.allowRemote); (err == nil) != tt.ok {
			t.Errorf("checkTarget(%s, %v) = %v, want ok=%v", tt.base, tt.allowRemote, err, tt.ok)
		}
	}
}

func TestLoopbackOnlyDial(t *testing.T) {
	tests := []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:8080", true},
		{"[::1]:8080", true},
		{"93.184.216.34:80", false},
		{"[2001:db8::1]:443", false},
		{"no-port", false},
	}
	for _, tt := range tests {
		if err := loopbackOnlyDial("tcp", tt.address, nil); (err == nil) != tt.ok {
			t.Errorf("loopbackOnlyDial(%s) = %v, want ok=%v", tt.address, err, tt.ok)
		}
	}
}

func TestTargetURL(t *testing.T) {
	tests := []struct {
		base, path string
		want       string // "" means rejected
	}{
		{"http://localhost:8080", "/api/v1/me", "http://localhost:8080/api/v1/me"},
		{"http://localhost:8080/", "/api/v1/me", "http://localhost:8080/api/v1/me"},
		{"http://localhost:8080/yiwang", "/api/v1/me?x=1", "http://localhost:8080/yiwang/api/v1/me?x=1"},
		{"http://127.0.0.1:8080", "/", "http://127.0.0.1:8080/"},
		{"http://127.0.0.1:8080", "", ""},
		{"http://127.0.0.1:8080", "//other/x", ""},
		{"http://127.0.0.1:8080", "@evil.example/x", ""},
		{"http://127.0.0.1:8080", "/a b", ""},
	}
	for _, tt := range tests {
		got, err := targetURL(tt.base, tt.path)
		if tt.want == "" {
			if err == nil {
				t.Errorf("targetURL(%q, %q) = %q, want an error", tt.base, tt.path, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("targetURL(%q, %q) = %q, %v; want %q", tt.base, tt.path, got, err, tt.want)
		}
	}
}
