package stdcode

import (
	"errors"
	"net/mail"
	"strings"
)

// NormalizeEmail trims white space (full-width spaces too) and lower-cases
// the domain; the local part keeps its case, which a mail server may honour.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	return s[:at+1] + strings.ToLower(s[at+1:])
}

// ValidateEmail accepts a bare address (no display name, no comments) that
// a mail server can route: a local part, '@', and a domain with a dot, at
// most 254 bytes (RFC 5321). It is a plausibility check for a form, not a
// promise that the mailbox exists.
func ValidateEmail(s string) error {
	if s == "" {
		return errors.New("请填写电子邮箱")
	}
	if len(s) > 254 {
		return errors.New("电子邮箱不能超过254个字符")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return errors.New("电子邮箱格式不正确，例如 name@example.com")
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || len(local) > 64 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || strings.ContainsAny(s, " \t\r\n\"[]()<>,;:\\") {
		return errors.New("电子邮箱格式不正确，例如 name@example.com")
	}
	return nil
}

// MaskEmail masks an e-mail address for display: the local part keeps its
// first two characters ("wangxy@example.com" → "wa****@example.com"; of
// two characters only the first, of one none) and the
// domain stays, so a person can tell which of their mailboxes it is.
// Values without '@' are masked like a short value.
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return maskShort(runesOf(s))
	}
	local, domain := runesOf(s[:at]), s[at:]
	switch {
	case len(local) == 0:
		return domain
	case len(local) == 1:
		return string(maskRune) + domain
	case len(local) == 2:
		return maskKeep(local, 1, 0) + domain
	default:
		return maskKeep(local, 2, 0) + domain
	}
}
