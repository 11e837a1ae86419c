// Command catalogue fills a yiwang installation with a large synthetic
// catalogue for the search and item-detail speed budgets: it loads the demo
// data if the installation is empty, then publishes N items made from the
// demo items (new names and base codes, same guide content) through the
// ordinary all-or-nothing import.
//
//	go run ./bench/catalogue --data /tmp/yiwang-bench-cat --items 10000
//	go run ./bench/catalogue --db postgres://… --items 10000
//
// It prints the bench/load command lines to measure with afterwards.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"time"

	"yiwang/internal/app"
	"yiwang/internal/catalog"
	"yiwang/internal/identity"
)

var qualifiers = []string{"桐君街道", "旧县街道", "城南街道", "凤川街道", "富春江镇", "横村镇", "分水镇", "江南镇", "百江镇", "瑶琳镇",
	"钟山乡", "新合乡", "合村乡", "莪山畲族乡", "延期", "变更", "注销", "补发", "换发", "迁移"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "catalogue:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "/tmp/yiwang-bench-cat", "data directory (SQLite)")
	dsn := flag.String("db", "", "PostgreSQL DSN (instead of SQLite)")
	n := flag.Int("items", 10000, "number of items in the catalogue when done")
	flag.Parse()
	if *n < 1 || *n > 100000 {
		return fmt.Errorf("--items must be between 1 and 100000")
	}
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DSN: *dsn, DataDir: *data, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench"})
	if err != nil {
		return err
	}
	defer a.Close()
	if _, loaded, err := a.LoadDemo(ctx); err != nil {
		return err
	} else if loaded {
		fmt.Println("loaded the demo data")
	}
	snap, err := a.Catalog.Snapshot(ctx)
	if err != nil {
		return err
	}
	have := len(snap.Entries)
	if have >= *n {
		fmt.Printf("the catalogue already has %d items\n", have)
	} else {
		forms, err := a.Catalog.Export(ctx)
		if err != nil {
			return err
		}
		templates := snap.Entries
		f := &catalog.File{Format: catalog.Format, Forms: forms.Forms}
		for i := 0; i < *n-have; i++ {
			t := templates[i%len(templates)].Item
			it := t
			it.Name = fmt.Sprintf("%s（%s·%d）", t.Name, qualifiers[i%len(qualifiers)], i/len(qualifiers))
			it.BaseCode = fmt.Sprintf("00%s%05d%03d", t.Type, 10000+i%90000, 900+i/90000)
			it.ImplCode, it.Code, it.Version = "", "", 0
			f.Items = append(f.Items, it)
		}
		var adminID string
		if err := a.DB.QueryRowContext(ctx, `SELECT id FROM accounts WHERE username = 'admin'`).Scan(&adminID); err != nil {
			return err
		}
		start := time.Now()
		rep, err := a.Catalog.Import(ctx, &identity.Principal{AccountID: adminID, DisplayName: "bench", Roles: []identity.Role{identity.RoleAdmin}}, f)
		if err != nil {
			if rep != nil && len(rep.Problems) > 0 {
				return fmt.Errorf("%w: first problem: %+v", err, rep.Problems[0])
			}
			return err
		}
		fmt.Printf("imported %d items in %s\n", rep.Created, time.Since(start).Round(time.Millisecond))
	}
	snap, err = a.Catalog.Snapshot(ctx)
	if err != nil {
		return err
	}
	code := snap.Entries[len(snap.Entries)/2].Item.Code
	q := func(s string) string { return url.QueryEscape(s) }
	fmt.Printf("catalogue: %d items\n\nthen start the server on it and measure, e.g.:\n", len(snap.Entries))
	where := "--data " + *data
	if *dsn != "" {
		where = "--db '" + *dsn + "' --data " + *data
	}
	fmt.Printf("  go run ./cmd/yiwang serve %s --addr 127.0.0.1:8080 &\n", where)
	fmt.Printf("  go run ./bench/load -login=false -c 32 -d 20s -path '/api/v1/items?q=%s' -path '/api/v1/items?q=%s&list=online' -path '/api/v1/items?q=%s'\n", q("开饭店"), q("营业执照"), q("我想给孩子办出生证明"))
	fmt.Printf("  go run ./bench/load -login=false -c 32 -d 20s -path /api/v1/items/%s\n", code)
	return nil
}
