package main

import (
	"flag"
	"fmt"
	"log/slog"

	"yiwang/internal/notify"
)

// noticeFlags configure how applicants are told: without --smtp-addr the
// e-mails, like the SMS, are written to the log.
type noticeFlags struct {
	addr, from, user, password string
	getenv                     func(string) string
}

func (n *noticeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	n.getenv = getenv
	fs.StringVar(&n.addr, "smtp-addr", getenv("YIWANG_SMTP_ADDR"), "SMTP submission server HOST:PORT for e-mail notices (STARTTLS when offered); empty writes them to the log (env YIWANG_SMTP_ADDR)")
	fs.StringVar(&n.from, "smtp-from", getenv("YIWANG_SMTP_FROM"), "sender of e-mail notices, e.g. \"一网通办 <noreply@example.gov.cn>\" (env YIWANG_SMTP_FROM)")
	fs.StringVar(&n.user, "smtp-user", getenv("YIWANG_SMTP_USER"), "SMTP user for AUTH PLAIN, only over TLS (env YIWANG_SMTP_USER)")
	// No default from the environment: --help prints defaults.
	fs.StringVar(&n.password, "smtp-password", "", "SMTP password; prefer the env YIWANG_SMTP_PASSWORD, since flags show in the process list")
}

// config builds the notices configuration and logs which senders it uses
// (never the password).
func (n *noticeFlags) config(log *slog.Logger) (notify.Config, error) {
	if n.password == "" {
		n.password = n.getenv("YIWANG_SMTP_PASSWORD")
	}
	if n.addr == "" {
		if n.from != "" || n.user != "" || n.password != "" {
			return notify.Config{}, fmt.Errorf("--smtp-from、--smtp-user 和 SMTP 密码须与 --smtp-addr 一起使用")
		}
		log.Info("notices: SMS and e-mail are written to the log (no real gateway configured; set --smtp-addr for e-mail)")
		return notify.Config{}, nil
	}
	s, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: n.addr, From: n.from, User: n.user, Password: n.password})
	if err != nil {
		return notify.Config{}, fmt.Errorf("--smtp-addr/--smtp-from: %w", err)
	}
	log.Info("notices: e-mail through SMTP, SMS written to the log", "email", s)
	return notify.Config{Email: s}, nil
}
