package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	Addr string // host:port of the submission server
	// From is the sender, bare or with a name: "一网通办 <noreply@zwfw.example.gov.cn>".
	From string
	// User and Password, when User is set, log in with AUTH PLAIN, which
	// net/smtp does only over TLS (or to localhost).
	User     string
	Password string
	// HelloName is the name given in EHLO ("localhost" when empty).
	HelloName string
	// TLS configures STARTTLS (nil: verify the server as Addr's host
	// against the system roots).
	TLS *tls.Config
	// Timeout bounds one message when the context has no deadline.
	Timeout time.Duration
}

// SMTPSender sends e-mail through an SMTP submission server: STARTTLS
// whenever the server offers it, AUTH PLAIN when a user is configured.
// The Message-ID is made from the delivery's key, so every attempt of one
// delivery carries the same Message-ID.
type SMTPSender struct {
	cfg  SMTPConfig
	host string
	from *mail.Address
}

// NewSMTPSender checks the configuration.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("SMTP 服务器地址应为 主机:端口，例如 smtp.example.gov.cn:587（而不是 %q）", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || !strings.Contains(from.Address, "@") {
		return nil, fmt.Errorf("发件人地址无效（%q），例如 一网通办 <noreply@example.gov.cn>", cfg.From)
	}
	if cfg.Password != "" && cfg.User == "" {
		return nil, errors.New("设置了 SMTP 密码却没有用户名")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &SMTPSender{cfg: cfg, host: host, from: from}, nil
}

// String describes the sender for logs: never the password.
func (s *SMTPSender) String() string {
	auth := "no auth"
	if s.cfg.User != "" {
		auth = "user " + s.cfg.User
	}
	return fmt.Sprintf("smtp %s from %s (%s)", s.cfg.Addr, s.from.Address, auth)
}

// LogValue keeps the password out of structured logs too.
func (s *SMTPSender) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Channel != Email {
		return Permanent(fmt.Errorf("smtp sender cannot send %s", m.Channel))
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil || to.Address != m.To {
		return Permanent(fmt.Errorf("invalid recipient address %s", m.ToMasked))
	}
	raw := s.compose(m)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("connect %s: %w", s.cfg.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A cancelled context ends the conversation at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if err := s.converse(conn, to.Address, raw); err != nil {
		return classify(err)
	}
	return nil
}

func (s *SMTPSender) converse(conn net.Conn, to string, raw []byte) error {
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.cfg.HelloName != "" {
		if err := c.Hello(s.cfg.HelloName); err != nil {
			return err
		}
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.cfg.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: s.host}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if s.cfg.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(errors.New("SMTP server offers no AUTH, but a user is configured"))
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.User, s.cfg.Password, s.host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// classify marks the server's 5xx answers permanent: the same message
// would be refused again. Network trouble and 4xx answers are retried.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

// MessageID is the Message-ID of a delivery with key, at the sender's domain.
func (s *SMTPSender) MessageID(key string) string {
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	return "<" + key + "@" + domain + ">"
}

// compose writes the message: headers in ASCII (names and subject as
// RFC 2047 encoded words), the body UTF-8 in base64, CRLF line ends.
func (s *SMTPSender) compose(m Message) []byte {
	var b strings.Builder
	header := func(k, v string) { b.WriteString(fold(k, v) + "\r\n") }
	header("Date", m.Date.Format(time.RFC1123Z))
	header("From", s.from.String())
	header("To", (&mail.Address{Name: oneLine(m.ToName), Address: m.To}).String())
	header("Subject", mime.QEncoding.Encode("UTF-8", oneLine(m.Subject)))
	header("Message-ID", s.MessageID(m.Key))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	// RFC 3834: a machine wrote this; autoresponders should stay quiet.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

// oneLine removes line breaks, so no value can start a header of its own.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// fold writes a header field, breaking it at spaces (between encoded
// words, before an address) so lines stay within the 78 characters RFC
// 5322 asks for (an encoded word is up to 75 characters, so a long
// subject starts on the line after "Subject:").
func fold(k, v string) string {
	var b strings.Builder
	b.WriteString(k + ":")
	col := len(k) + 1
	for _, w := range strings.Fields(v) {
		if col+1+len(w) > 78 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(" " + w)
		col += 1 + len(w)
	}
	return b.String()
}
