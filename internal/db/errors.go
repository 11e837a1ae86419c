package db

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"yiwang/internal/apperr"
)

// ErrNoRows is re-exported so stores need not import database/sql for it.
var ErrNoRows = sql.ErrNoRows

// MapError turns the constraint errors of both databases into apperr kinds,
// so a duplicate is a Conflict whichever database found it. Other errors pass
// through unchanged (they are internal).
func MapError(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return apperr.Wrap(apperr.Conflict, "该记录已存在", err)
		case "23503":
			return apperr.Wrap(apperr.Invalid, "引用的记录不存在或仍被使用", err)
		case "23514", "23502":
			return apperr.Wrap(apperr.Invalid, "数据不符合约束", err)
		case "22001":
			return apperr.Wrap(apperr.Invalid, "内容过长", err)
		}
		return err
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return apperr.Wrap(apperr.Conflict, "该记录已存在", err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return apperr.Wrap(apperr.Invalid, "引用的记录不存在或仍被使用", err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return apperr.Wrap(apperr.Invalid, "数据不符合约束", err)
		}
	}
	return err
}

// IsNoRows reports whether err means "no row matched".
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
