package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"yiwang/internal/app"
	"yiwang/internal/catalog"
	"yiwang/internal/identity"
	"yiwang/internal/secret"
)

// openApp opens the installation for a one-off command (no server).
func (c *common) openApp(ctx context.Context, getenv func(string) string) (*app.App, error) {
	var key []byte
	if v := getenv("YIWANG_DATA_KEY"); v != "" {
		k, err := parseKey(v)
		if err != nil {
			return nil, err
		}
		key = k
	}
	return app.New(ctx, app.Config{DSN: c.dsn, DataDir: c.data, DataKey: key, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: version})
}

// administrator acts for command-line catalogue changes: the platform
// administrator account, so the audit trail names a real account.
func administrator(ctx context.Context, a *app.App) (*identity.Principal, error) {
	var id, name string
	err := a.DB.QueryRowContext(ctx, `SELECT a.id, a.display_name FROM accounts a JOIN staff_roles r ON r.account_id = a.id WHERE r.role = 'admin' AND a.disabled = ? ORDER BY a.created_at LIMIT 1`, false).Scan(&id, &name)
	if err != nil {
		return nil, errors.New("没有可用的平台管理员账号（先运行 yiwang demo 或创建管理员）")
	}
	return &identity.Principal{AccountID: id, DisplayName: name + "（命令行）", Kind: identity.KindStaff, Roles: []identity.Role{identity.RoleAdmin}}, nil
}

func cmdImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", "导入事项库文件（yiwang-catalogue/1 的 JSON，或导出的 .xlsx 工作簿，按内容识别）。有任何问题则不导入任何内容并列出每处问题（退出码 3）。", stderr)
	var c common
	c.register(fs, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError(2)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "用法：yiwang import [--data DIR] [--db DSN] FILE")
		return exitError(2)
	}
	fh, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer fh.Close()
	a, err := c.openApp(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	actor, err := administrator(ctx, a)
	if err != nil {
		return err
	}
	f, rep, err := catalog.DecodeAny(fh)
	if err == nil {
		rep, err = a.Catalog.Import(ctx, actor, f)
	}
	if err != nil {
		if rep == nil {
			return err
		}
		fmt.Fprintln(stdout, err)
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "  %s 第 %d 行（%s）%s：%s\n", p.Kind, p.Row, p.Name, p.Field, p.Message)
		}
		return exitError(3)
	}
	fmt.Fprintf(stdout, "已导入 %d 个事项（新增 %d，更新 %d，未变 %d），%d 张申请表\n", rep.Items, rep.Created, rep.Updated, rep.Unchanged, rep.Forms)
	return nil
}

func cmdExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "导出现行事项库（JSON 或 .xlsx）到 FILE（- 为标准输出）。", stderr)
	var c common
	c.register(fs, getenv)
	format := fs.String("format", "json", "json | xlsx")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError(2)
	}
	if fs.NArg() != 1 || (*format != "json" && *format != "xlsx") {
		fmt.Fprintln(stderr, "用法：yiwang export [--data DIR] [--db DSN] [--format json|xlsx] FILE")
		return exitError(2)
	}
	a, err := c.openApp(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := a.Catalog.Export(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if *format == "xlsx" {
		err = catalog.WriteXLSX(f, &buf)
	} else {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err = enc.Encode(f)
	}
	if err != nil {
		return err
	}
	if fs.Arg(0) == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(fs.Arg(0), buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已导出 %d 个事项到 %s\n", len(f.Items), fs.Arg(0))
	return nil
}

func parseKey(v string) ([]byte, error) {
	k, err := secret.ParseKey(v)
	if err != nil {
		return nil, fmt.Errorf("YIWANG_DATA_KEY: %w", err)
	}
	return k, nil
}
