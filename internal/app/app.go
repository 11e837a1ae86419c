// Package app wires yiwang's parts together: database, keys, clock, the
// contexts' services and the web server. The command and the end-to-end
// tests build the very same application through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/demo"
	"yiwang/internal/files"
	"yiwang/internal/identity"
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
}

// App is a running yiwang.
type App struct {
	DB         *db.DB
	Identity   *identity.Service
	Catalog    *catalog.Service
	Files      *files.Service
	Calendar   *calendar.Service
	Cases      *casework.Service
	Server     *web.Server
	Clock      *clock.Adjustable
	Migrations int
	KeyCreated bool
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
	a := &App{DB: d, Clock: cfg.Clock}
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
	a.Server, err = web.New(web.Config{DB: d, Identity: a.Identity, Catalog: a.Catalog, Files: a.Files, Calendar: a.Calendar, Cases: a.Cases, Box: box, Clock: cfg.Clock, Log: cfg.Log,
		Version: cfg.Version, SecureCookies: cfg.SecureCookies, Registry: cfg.Registry})
	if err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// LoadDemo loads the demo data (accounts and catalogue) when the database
// is empty; loaded tells whether it did.
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
	}
	return accounts, true, nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }
