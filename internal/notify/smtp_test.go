package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"yiwang/internal/db/dbtest"
)

// fakeSMTP is an SMTP server in the test process: enough of RFC 5321 for
// net/smtp, with STARTTLS and AUTH PLAIN when configured, and a reply of
// choice to RCPT.
type fakeSMTP struct {
	ln        net.Listener
	tls       *tls.Config // offer STARTTLS
	auth      bool        // offer AUTH PLAIN
	rcptReply string      // default "250 2.1.5 ok"
	mu        sync.Mutex
	mails     []fakeMail
	wg        sync.WaitGroup
}

type fakeMail struct {
	From string
	To   []string
	Data string
	TLS  bool
	Auth string // the decoded AUTH PLAIN response
}

func startFakeSMTP(t *testing.T, withTLS, withAuth bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, auth: withAuth}
	if withTLS {
		f.tls = &tls.Config{Certificates: []tls.Certificate{testCert(t)}}
	}
	f.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Go(func() { f.serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	reply := func(s string) { _ = tp.PrintfLine("%s", s) }
	reply("220 fake.example ESMTP")
	var m fakeMail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"250-fake.example", "250-8BITMIME"}
			if f.tls != nil && !m.TLS {
				ext = append(ext, "250-STARTTLS")
			}
			if f.auth {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 SIZE 10240000")
			for _, e := range ext {
				reply(e)
			}
		case "STARTTLS":
			reply("220 2.0.0 go ahead")
			tc := tls.Server(conn, f.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp, m = tc, textproto.NewConn(tc), fakeMail{TLS: true}
		case "AUTH":
			_, resp, _ := strings.Cut(arg, " ")
			b, _ := base64.StdEncoding.DecodeString(resp)
			m.Auth = string(b)
			reply("235 2.7.0 ok")
		case "MAIL":
			m.From = strings.Trim(strings.Fields(strings.TrimPrefix(arg, "FROM:"))[0], "<>")
			reply("250 2.1.0 ok")
		case "RCPT":
			r := f.rcptReply
			if r == "" {
				r = "250 2.1.5 ok"
			}
			if strings.HasPrefix(r, "250") {
				m.To = append(m.To, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>"))
			}
			reply(r)
		case "DATA":
			reply("354 end with .")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.Data = string(b)
			f.mu.Lock()
			f.mails = append(f.mails, m)
			f.mu.Unlock()
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

func (f *fakeSMTP) received() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.mails...)
}

// testCert is a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func trusting(t *testing.T, f *fakeSMTP) *tls.Config {
	leaf, err := x509.ParseCertificate(f.tls.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

var testMail = Message{Channel: Email, Key: "yw-0123456789abcdef0123456789abcdef", To: "lijianguo@example.com", ToMasked: "li*******@example.com",
	ToName: "李建国", Subject: "【一网通办】补正通知：食品经营许可（新办）",
	Body: "李建国：\n\n您好！您办理的“食品经营许可（新办）”（办件编号 330122202609280001）需要补正材料：营业执照、健康证明。\n.\n此邮件由系统自动发送。\n",
	Date: time.Date(2026, 9, 28, 9, 30, 0, 0, time.UTC)}

func TestSMTPSenderOverSTARTTLSWithAuth(t *testing.T) {
	srv := startFakeSMTP(t, true, true)
	s, err := NewSMTPSender(SMTPConfig{Addr: srv.ln.Addr().String(), From: "一网通办 <noreply@zwfw.example.gov.cn>",
		User: "notices", Password: "s3cret-pw", TLS: trusting(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.String(), "s3cret-pw") {
		t.Fatalf("the password is in %q", s.String())
	}
	for range 2 { // a retry of the same delivery
		if err := s.Send(context.Background(), testMail); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.received()
	if len(got) != 2 {
		t.Fatalf("%d mails", len(got))
	}
	m := got[0]
	if m.From != "noreply@zwfw.example.gov.cn" || len(m.To) != 1 || m.To[0] != "lijianguo@example.com" {
		t.Fatalf("envelope: from %q to %q", m.From, m.To)
	}
	if !m.TLS || m.Auth != "\x00notices\x00s3cret-pw" {
		t.Fatalf("tls %v auth %q: want STARTTLS and AUTH PLAIN", m.TLS, m.Auth)
	}
	for i, line := range strings.Split(m.Data, "\n") {
		if len(line) > 78 {
			t.Errorf("line %d longer than 78: %q", i, line)
		}
		for _, b := range []byte(line) {
			if b >= 0x80 {
				t.Fatalf("line %d is not ASCII: %q", i, line)
			}
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != testMail.Subject {
		t.Fatalf("subject %q (%v), want %q", subject, err, testMail.Subject)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || from[0].Name != "一网通办" || from[0].Address != "noreply@zwfw.example.gov.cn" {
		t.Fatalf("From: %v %v", from, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || to[0].Name != "李建国" || to[0].Address != "lijianguo@example.com" {
		t.Fatalf("To: %v %v", to, err)
	}
	if id := msg.Header.Get("Message-ID"); id != "<yw-0123456789abcdef0123456789abcdef@zwfw.example.gov.cn>" {
		t.Fatalf("Message-ID %q", id)
	}
	second, _ := mail.ReadMessage(strings.NewReader(got[1].Data))
	if second.Header.Get("Message-ID") != msg.Header.Get("Message-ID") {
		t.Fatal("a retry has another Message-ID")
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(testMail.Date) {
		t.Fatalf("Date %v %v", d, err)
	}
	for k, want := range map[string]string{"Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "base64", "MIME-Version": "1.0", "Auto-Submitted": "auto-generated"} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	raw, _ := io.ReadAll(msg.Body)
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(testMail.Body, "\n", "\r\n"); string(body) != want {
		t.Fatalf("body:\n%q\nwant\n%q", body, want)
	}
}

func TestSMTPSenderPlain(t *testing.T) {
	srv := startFakeSMTP(t, false, false)
	s, err := NewSMTPSender(SMTPConfig{Addr: srv.ln.Addr().String(), From: "noreply@zwfw.example.gov.cn", HelloName: "yiwang.example.gov.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testMail); err != nil {
		t.Fatal(err)
	}
	if got := srv.received(); len(got) != 1 || got[0].TLS || got[0].Auth != "" {
		t.Fatalf("%+v", got)
	}
}

func TestSMTPSenderErrors(t *testing.T) {
	srv := startFakeSMTP(t, false, false)
	addr := srv.ln.Addr().String()
	s, _ := NewSMTPSender(SMTPConfig{Addr: addr, From: "noreply@zwfw.example.gov.cn"})

	srv.rcptReply = "550 5.1.1 no such mailbox"
	if err := s.Send(context.Background(), testMail); !IsPermanent(err) {
		t.Errorf("550: %v, want permanent", err)
	}
	srv.rcptReply = "451 4.3.0 try again later"
	if err := s.Send(context.Background(), testMail); err == nil || IsPermanent(err) {
		t.Errorf("451: %v, want a retryable error", err)
	}
	srv.rcptReply = ""
	bad := testMail
	bad.To = "x@y.cn\r\nBcc: all@example.com"
	if err := s.Send(context.Background(), bad); !IsPermanent(err) {
		t.Errorf("injected address: %v", err)
	}
	bad = testMail
	bad.Channel = SMS
	if err := s.Send(context.Background(), bad); !IsPermanent(err) {
		t.Errorf("an SMS: %v", err)
	}
	authed, _ := NewSMTPSender(SMTPConfig{Addr: addr, From: "noreply@zwfw.example.gov.cn", User: "u", Password: "p"})
	if err := authed.Send(context.Background(), testMail); !IsPermanent(err) || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("a user but no AUTH on offer: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	down, _ := NewSMTPSender(SMTPConfig{Addr: closed, From: "noreply@zwfw.example.gov.cn", Timeout: time.Second})
	if err := down.Send(context.Background(), testMail); err == nil || IsPermanent(err) {
		t.Errorf("server down: %v, want a retryable error", err)
	}
	if len(srv.received()) != 0 {
		t.Fatalf("refused mails were taken: %+v", srv.received())
	}
	for _, cfg := range []SMTPConfig{{Addr: "smtp.example.gov.cn", From: "a@b.cn"}, {Addr: ":25", From: "a@b.cn"}, {Addr: addr, From: "nobody"}, {Addr: addr, From: "a@b.cn", Password: "p"}} {
		if _, err := NewSMTPSender(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

func TestSMTPSenderStopsWithItsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // a server that accepts and never speaks
		c, err := ln.Accept()
		if err == nil {
			_, _ = bufio.NewReader(c).ReadString('\n')
			c.Close()
		}
	}()
	s, _ := NewSMTPSender(SMTPConfig{Addr: ln.Addr().String(), From: "noreply@zwfw.example.gov.cn"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	startAt := time.Now()
	if err := s.Send(ctx, testMail); err == nil || IsPermanent(err) {
		t.Fatalf("silent server: %v", err)
	}
	if time.Since(startAt) > 5*time.Second {
		t.Fatal("Send did not stop with its context")
	}
}

// Through the worker: the e-mail of an event reaches the server with the
// delivery's key as Message-ID, and a redelivery after a lost reply
// carries the same Message-ID, which is what a receiving system that
// suppresses duplicates by Message-ID needs.
func TestWorkerMailsThroughSMTP(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	srv := startFakeSMTP(t, false, false)
	s, _ := NewSMTPSender(SMTPConfig{Addr: srv.ln.Addr().String(), From: "一网通办 <noreply@zwfw.example.gov.cn>"})
	lost := 0
	email := &replyLost{Sender: s, lose: func() bool { lost++; return lost == 1 }}
	w := f.service(Config{SMS: &recorder{}, Email: email, Backoff: time.Second})
	f.event(f.personCase("citizen2"), "case.ready", nil)
	f.drain(w)
	f.Clock.Advance(time.Second)
	f.drain(w)
	got := srv.received()
	if len(got) != 2 {
		t.Fatalf("%d mails, want the first and its redelivery", len(got))
	}
	var key string
	if err := f.DB.QueryRowContext(f.ctx, `SELECT idem_key FROM notice_deliveries WHERE channel = 'email' AND state = 'sent'`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		msg, _ := mail.ReadMessage(strings.NewReader(m.Data))
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if msg.Header.Get("Message-ID") != "<"+key+"@zwfw.example.gov.cn>" || subject != "【一网通办】结果可领取：食品经营许可（新办）" || m.To[0] != "lijianguo@example.com" {
			t.Fatalf("mail: %s / %s / %v", msg.Header.Get("Message-ID"), subject, m.To)
		}
	}
}

// replyLost is a sender whose first reply gets lost on the way back: the
// server has the message, the worker hears an error.
type replyLost struct {
	Sender
	lose func() bool
}

func (r *replyLost) Send(ctx context.Context, m Message) error {
	if err := r.Sender.Send(ctx, m); err != nil {
		return err
	}
	if r.lose() {
		return io.ErrUnexpectedEOF
	}
	return nil
}
