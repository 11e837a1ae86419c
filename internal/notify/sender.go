package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Channel is how a message travels besides the app.
type Channel string

const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// ChannelNames are the Chinese names of the channels.
var ChannelNames = map[Channel]string{SMS: "短信", Email: "电子邮件"}

// Message is one SMS or e-mail to one person.
type Message struct {
	Channel Channel
	// Key is the delivery's idempotency key: the same on every attempt of
	// one delivery and different for every other. A sender passes it on to
	// whatever the other side deduplicates by (the Message-ID of an
	// e-mail, the client request id of an SMS gateway).
	Key      string
	To       string // the full phone number or e-mail address
	ToMasked string // the same, masked, for logs
	ToName   string
	Subject  string // e-mail only
	Body     string
	Topic    string
	CaseNo   string
	Date     time.Time // when this attempt is made
}

// Sender sends messages of one channel. Send returns nil only when the
// other side has taken the message; an error made with Permanent says
// that trying again cannot help (a rejected address), any other error that
// a later attempt might succeed.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying cannot fix.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// LogSender "sends" by writing one log line per message: the default for
// both channels until a real gateway is configured, so an installation
// can be tried without one. It logs the masked address and the key, never
// the full address and never the text (which may quote a reason typed by
// staff).
type LogSender struct {
	Log *slog.Logger
}

func (l LogSender) Send(ctx context.Context, m Message) error {
	l.Log.LogAttrs(ctx, slog.LevelInfo, "notice sent (log only)",
		slog.String("channel", string(m.Channel)), slog.String("to", m.ToMasked), slog.String("key", m.Key),
		slog.String("topic", m.Topic), slog.String("case_no", m.CaseNo), slog.Int("chars", len([]rune(m.Body))))
	return nil
}
