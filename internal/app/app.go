// Package app wires yiwang's parts together: database, keys, clock, the
// contexts' services and the web server. The command and the end-to-end
// tests build the very same application through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/demo"
	"yiwang/internal/files"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/notify"
	"yiwang/internal/secret"
	"yiwang/internal/web"
)

// Config says where the data lives and how to run.
type Config struct {
	DSN     string // postgres://… or "" for SQLite in DataDir
	DataDir string
	// DataKey is the personal-data master key; nil reads or creates
	// DataDir/keys/data.key.
	DataKey       []byte
	Log           *slog.Logger
	Version       string
	SecureCookies bool
	Registry      *prometheus.Registry
	Clock         *clock.Adjustable
	// FilesDir holds uploaded files; "" means DataDir/files.
	FilesDir string
	// MaxUploadBytes bounds one upload; 0 means files.DefaultMaxSize.
	MaxUploadBytes int64
	// DemoCases says whether LoadDemo also makes the demo's few hundred
	// sample cases, and when.
	DemoCases DemoCases
	// ClockControl lets administrators move the platform clock (the demo,
	// to watch deadlines pass). Never in production.
	ClockControl bool
	// Notify configures the notices to applicants: senders, retries.
	Notify notify.Config
	// PublicURL is where people reach the platform (verification links
	// and licence QR codes point there); "" means http://localhost:8080.
	PublicURL string
	// DeliverNotices runs the outbox worker that tells applicants about
	// their cases, from New until Close (serve and demo; not import,
	// export or the benchmarks, which only need the stores).
	DeliverNotices bool
}

// DemoCases is whether and when LoadDemo makes the demo's sample cases
// (办件 in every state, made through the casework use cases at past
// moments). Making them takes seconds, so `yiwang demo` makes them in the
// background while it serves.
type DemoCases int

const (
	// NoDemoCases loads accounts and catalogue only: for tests that count
	// the cases they make themselves.
	NoDemoCases DemoCases = iota
	// DemoCasesNow makes the cases before LoadDemo returns.
	DemoCasesNow
	// DemoCasesInBackground makes them after LoadDemo has returned, so the
	// server can serve meanwhile; DemoCasesDone tells when they are made.
	// Close stops the work and waits for it.
	DemoCasesInBackground
)

// App is a running yiwang.
type App struct {
	DB         *db.DB
	Identity   *identity.Service
	Catalog    *catalog.Service
	Files      *files.Service
	Calendar   *calendar.Service
	Cases      *casework.Service
	Licences   *licence.Service
	Notify     *notify.Service
	Server     *web.Server
	Clock      *clock.Adjustable
	Migrations int
	KeyCreated bool

	log       *slog.Logger
	demoCases DemoCases
	demoDone  chan struct{} // closed when background demo cases are made (nil when none were started)
	stopDemo  context.CancelFunc
	stopWork  context.CancelFunc // stops the outbox worker
	bg        sync.WaitGroup
}

// New opens and migrates the database, loads the key and builds the server.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = &clock.Adjustable{}
	}
	d, err := db.Open(ctx, cfg.DSN, filepath.Join(cfg.DataDir, "yiwang.db"))
	if err != nil {
		return nil, err
	}
	a := &App{DB: d, Clock: cfg.Clock, log: cfg.Log, demoCases: cfg.DemoCases}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()
	if a.Migrations, err = d.Migrate(ctx); err != nil {
		return nil, err
	}
	key := cfg.DataKey
	if key == nil {
		key, a.KeyCreated, err = secret.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, "keys", "data.key"))
		if err != nil {
			return nil, fmt.Errorf("personal-data key: %w", err)
		}
	}
	box, err := secret.New(key)
	if err != nil {
		return nil, err
	}
	a.Identity = identity.NewService(d, box, cfg.Clock)
	a.Catalog = catalog.NewService(d, a.Identity, cfg.Clock, cfg.Log)
	a.Calendar = calendar.NewService(d, cfg.Clock)
	// The official holiday arrangements shipped with the product go into
	// the database once; a year already there is left as it is.
	if years, err := a.Calendar.LoadShipped(ctx); err != nil {
		return nil, err
	} else if len(years) > 0 {
		cfg.Log.Info("working-day calendar loaded", "years", years)
	}
	filesDir := cfg.FilesDir
	if filesDir == "" {
		filesDir = filepath.Join(cfg.DataDir, "files")
	}
	disk, err := files.NewLocalDisk(filesDir)
	if err != nil {
		return nil, err
	}
	a.Files = files.NewService(d, disk, cfg.Clock, cfg.Log)
	a.Files.MaxSize = cfg.MaxUploadBytes
	// Uploads wait beside the store while they are checked: same disk,
	// same 0700 directory, never in a shared /tmp.
	a.Files.TempDir = filepath.Join(filesDir, "incoming")
	a.Cases = casework.NewService(d, a.Catalog, a.Identity, a.Calendar, a.Files, box, cfg.Clock, cfg.Log)
	a.Licences = licence.NewService(d, a.Identity, box, cfg.Clock, cfg.Log, cfg.PublicURL)
	a.Cases.Licences = a.Licences
	// The workflows shipped with the product go in once, like the calendar.
	if ids, err := a.Cases.LoadShipped(ctx); err != nil {
		return nil, err
	} else if len(ids) > 0 {
		cfg.Log.Info("workflows loaded", "workflows", ids)
	}
	a.Catalog.Workflows = a.Cases.WorkflowNames
	// Staff and applicants who may see a case may read its materials.
	a.Files.MayRead = func(ctx context.Context, actor *identity.Principal, f *files.File) (bool, error) {
		return a.Cases.MayReadFile(ctx, actor, f.ID)
	}
	a.Notify = notify.New(d, a.Identity, cfg.Clock, cfg.Log, cfg.Notify)
	a.Server, err = web.New(web.Config{DB: d, Identity: a.Identity, Catalog: a.Catalog, Files: a.Files, Calendar: a.Calendar, Cases: a.Cases, Licences: a.Licences, Notices: a.Notify, Box: box, ClockControl: clockControl(cfg), Clock: cfg.Clock, Log: cfg.Log,
		Version: cfg.Version, SecureCookies: cfg.SecureCookies, Registry: cfg.Registry})
	if err != nil {
		return nil, err
	}
	if cfg.DeliverNotices {
		a.startNotify(ctx)
	}
	ok = true
	return a, nil
}

// startNotify runs the outbox worker and the casework sweeper until
// Close. Like the demo cases they outlive the context New was given, not
// the app.
func (a *App) startNotify(ctx context.Context) {
	ctx, a.stopWork = context.WithCancel(context.WithoutCancel(ctx))
	a.bg.Go(func() { a.Notify.Run(ctx) })
	a.bg.Go(func() { a.sweep(ctx) })
}

// LoadDemo loads the demo data (accounts and catalogue, and the sample
// cases as Config.DemoCases says) when the database is empty; loaded tells
// whether it did.
func (a *App) LoadDemo(ctx context.Context) (accounts []demo.Account, loaded bool, err error) {
	return a.loadDemo(ctx, true)
}

// LoadDemoAccounts loads the demo organisation and accounts without the
// catalogue (for tests that bring their own).
func (a *App) LoadDemoAccounts(ctx context.Context) (accounts []demo.Account, loaded bool, err error) {
	return a.loadDemo(ctx, false)
}

func (a *App) loadDemo(ctx context.Context, withCatalogue bool) (accounts []demo.Account, loaded bool, err error) {
	empty, err := demo.IsEmpty(ctx, a.DB)
	if err != nil || !empty {
		return nil, false, err
	}
	accounts, err = demo.Load(ctx, a.Identity)
	if err != nil {
		return nil, false, fmt.Errorf("load demo data: %w", err)
	}
	if withCatalogue {
		if err := demo.LoadCatalogue(ctx, a.Catalog); err != nil {
			return nil, false, fmt.Errorf("load demo catalogue: %w", err)
		}
		if _, err := demo.LoadLicences(ctx, a.Licences, a.Identity, a.Clock.Now()); err != nil {
			return nil, false, fmt.Errorf("load demo licences: %w", err)
		}
		switch a.demoCases {
		case DemoCasesNow:
			if _, err := a.loadDemoCases(ctx); err != nil {
				return nil, false, err
			}
		case DemoCasesInBackground:
			a.startDemoCases(ctx)
		}
	}
	return accounts, true, nil
}

// loadDemoCases makes the demo's sample cases, as of now on the app clock.
func (a *App) loadDemoCases(ctx context.Context) (*demo.CasesReport, error) {
	rep, err := demo.LoadCases(ctx, demo.CaseServices{Cases: a.Cases, Catalog: a.Catalog, Identity: a.Identity,
		Calendar: a.Calendar, Files: a.Files, Now: a.Clock.Now()})
	if err != nil {
		return nil, fmt.Errorf("load demo cases: %w", err)
	}
	byStatus := make([]any, 0, 2*len(rep.ByStatus))
	for _, s := range casework.Statuses {
		if n := rep.ByStatus[s]; n > 0 {
			byStatus = append(byStatus, string(s), n)
		}
	}
	a.log.Info("demo cases ready", "cases", rep.Total, "duration", rep.Elapsed.Round(time.Millisecond),
		slog.Group("status", byStatus...), "overdue", rep.Overdue)
	return rep, nil
}

// startDemoCases makes the demo cases in the background. They outlive the
// caller's context (LoadDemo returns at once) but not the app: Close
// cancels them.
func (a *App) startDemoCases(ctx context.Context) {
	ctx, a.stopDemo = context.WithCancel(context.WithoutCancel(ctx))
	a.demoDone = make(chan struct{})
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		defer close(a.demoDone)
		if _, err := a.loadDemoCases(ctx); err != nil {
			if ctx.Err() != nil {
				a.log.Warn("demo cases interrupted: the demo holds only some of its sample cases", "err", err)
				return
			}
			a.log.Error("demo cases failed", "err", err)
		}
	}()
}

// DemoCasesDone is closed once the demo cases LoadDemo started in the
// background are made (or have failed, which is logged); nil when LoadDemo
// started none.
func (a *App) DemoCasesDone() <-chan struct{} { return a.demoDone }

// Close stops background work and releases the database.
func (a *App) Close() error {
	if a.stopDemo != nil {
		a.stopDemo()
	}
	if a.stopWork != nil {
		a.stopWork()
	}
	a.bg.Wait()
	return a.DB.Close()
}

func clockControl(cfg Config) *clock.Adjustable {
	if cfg.ClockControl {
		return cfg.Clock
	}
	return nil
}
