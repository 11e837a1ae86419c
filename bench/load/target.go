package main

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// This machine's policy: load tests run only against local servers. A load
// generator pointed at someone else's service is an attack, so the check is
// made on the URL before anything is sent and again on every dialled
// address (a name could resolve elsewhere).

// isLoopbackHost reports whether host (no port, no brackets) is "localhost"
// or a literal address in 127.0.0.0/8 or ::1. Other names are not resolved:
// what they point at can change between the check and the dial.
func isLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return addr.Unmap().IsLoopback()
}

func checkTarget(u *url.URL, allowRemote bool) error {
	if allowRemote || isLoopbackHost(u.Hostname()) {
		return nil
	}
	return usagef("refusing to load-test %s: host %q is not loopback (127.0.0.0/8, ::1, localhost); "+
		"load tests run only against local servers, pass -allow-remote if this one is yours and meant for it",
		u.Redacted(), u.Hostname())
}

// loopbackOnlyDial is a net.Dialer Control function that refuses any
// connection whose resolved address is not loopback.
func loopbackOnlyDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Unmap().IsLoopback() {
		return fmt.Errorf("refusing to connect to non-loopback address %s", address)
	}
	return nil
}
