package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrationFS returns the embedded migrations of one dialect.
func MigrationFS(d Dialect) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+string(d))
}

func (d *DB) provider() (*goose.Provider, error) {
	fsys, err := MigrationFS(d.dialect)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectSQLite3
	if d.dialect == Postgres {
		gd = goose.DialectPostgres
	}
	return goose.NewProvider(gd, d.write, fsys)
}

// Migrate applies every pending migration and reports how many ran.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	p, err := d.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate: %w", err)
	}
	return len(res), nil
}

// MigrationVersion reports the current and the newest known version.
func (d *DB) MigrationVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := d.provider()
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}
