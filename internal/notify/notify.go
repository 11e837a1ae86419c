// Package notify tells applicants about their cases. It consumes the
// outbox that casework writes in the same transaction as each change: every
// event becomes in-app notices (站内消息) for the applicant's accounts and,
// for the events that matter, one SMS and one e-mail per person through a
// pluggable Sender. Each event is handled exactly once, and each message
// is sent with an idempotency key that stays the same across retries and
// restarts (docs/notices.md gives the argument).
package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// Config tunes delivery. Zero values take the defaults.
type Config struct {
	// SMS and Email send the messages of each channel; nil means a
	// LogSender. Disabling a channel is done with Channels.
	SMS, Email Sender
	// Channels are the channels messages go out on (default both).
	Channels []Channel
	// Poll is how often the worker looks for work when nobody nudges it.
	Poll time.Duration
	// Lease is how long a claimed delivery is a worker's before another
	// may take it over (a worker that died while sending); it must be
	// longer than SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one attempt to send.
	SendTimeout time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is failed.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubling after
	// each further one up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Senders is how many deliveries one worker sends at once.
	Senders int
	// Gather is how long the worker waits after a nudge for more changes
	// to come before it looks (default 200 ms): under load a pass then
	// handles many events in one transaction instead of one each, and a
	// person is still told within a second.
	Gather time.Duration
}

func (c *Config) defaults(log *slog.Logger) {
	if c.SMS == nil {
		c.SMS = LogSender{Log: log}
	}
	if c.Email == nil {
		c.Email = LogSender{Log: log}
	}
	if c.Channels == nil {
		c.Channels = []Channel{SMS, Email}
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.Lease <= c.SendTimeout {
		c.Lease = 4 * c.SendTimeout
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Backoff <= 0 {
		c.Backoff = 30 * time.Second
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = time.Hour
	}
	if c.Senders <= 0 {
		c.Senders = 4
	}
	if c.Gather <= 0 {
		c.Gather = 200 * time.Millisecond
	}
}

// maxEventAttempts bounds how often an outbox event whose handling fails
// with an internal error is tried again, so it cannot hold up the queue.
const maxEventAttempts = 5

// Service is the notices use cases and the outbox worker.
type Service struct {
	DB       *db.DB
	Identity *identity.Service
	Clock    clock.Clock
	Log      *slog.Logger
	cfg      Config
	nudge    chan struct{}
}

// New builds the service; Run starts its worker.
func New(d *db.DB, ids *identity.Service, c clock.Clock, log *slog.Logger, cfg Config) *Service {
	if log == nil {
		log = slog.Default()
	}
	cfg.defaults(log)
	return &Service{DB: d, Identity: ids, Clock: c, Log: log, cfg: cfg, nudge: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) sender(ch Channel) Sender {
	if ch == SMS {
		return s.cfg.SMS
	}
	return s.cfg.Email
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// idempotencyKey names one delivery for ever: derived from what makes it
// unique (event, channel, person), so it is the same whoever computes it.
func idempotencyKey(eventID string, ch Channel, personID string) string {
	sum := sha256.Sum256([]byte(eventID + "\x00" + string(ch) + "\x00" + personID))
	return "yw-" + hex.EncodeToString(sum[:16])
}
