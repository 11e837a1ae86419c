package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"yiwang/internal/clock"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/seal"
	"yiwang/internal/secret"
)

const sealUsage = `用法：
  yiwang seal init   [--data DIR] [--db DSN] [--name 名称] [--alg sm2|p256] [--years N]   建立制章机构（本平台的签章 CA）
  yiwang seal create [--data DIR] [--db DSN] --dept 部门编码 [--alg sm2|p256] [--years N] 为部门制作电子证照专用章（新密钥与证书）
  yiwang seal list   [--data DIR] [--db DSN]                                            列出制章机构与各部门印章
  yiwang seal trust  [--data DIR] [--db DSN] [--out FILE]                               导出所信任的证书（PEM），供离线核验
私钥以数据主密钥加密保存在数据库中，不会输出或写入日志。
`

// cmdSeal runs the seal subcommands.
func cmdSeal(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, sealUsage)
		return exitError(2)
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("seal "+sub, "电子印章与签章证书。", stderr)
	var c common
	c.register(fs, getenv)
	var name, alg, dept, out string
	var years int
	switch sub {
	case "init":
		fs.StringVar(&name, "name", "一网电子印章制章中心", "制章机构名称")
		fs.StringVar(&alg, "alg", "sm2", "签名算法：sm2（SM2-with-SM3，默认）或 p256（ECDSA P-256）")
		fs.IntVar(&years, "years", 20, "证书有效年数（1–30）")
	case "create":
		fs.StringVar(&dept, "dept", "", "部门编码或 id（必填）")
		fs.StringVar(&alg, "alg", "sm2", "签名算法：sm2 或 p256")
		fs.IntVar(&years, "years", 5, "印章有效年数（1–10）")
	case "list":
	case "trust":
		fs.StringVar(&out, "out", "", "写入文件（默认输出到标准输出）")
	default:
		fmt.Fprintf(stderr, "未知子命令 seal %q\n\n%s", sub, sealUsage)
		return exitError(2)
	}
	if err := parse(fs, rest); err != nil {
		return err
	}
	lic, closeDB, err := openLicences(ctx, &c, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	switch sub {
	case "init":
		a, err := seal.ParseAlgorithm(alg)
		if err != nil {
			return err
		}
		m, err := lic.CreateMaker(ctx, name, a, years)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已建立制章机构：%s（%s，有效至 %s）\n", m.Name, m.Algorithm, m.NotAfter.Format(time.DateOnly))
	case "create":
		if dept == "" {
			fmt.Fprint(stderr, "请用 --dept 指明部门\n")
			return exitError(2)
		}
		a, err := seal.ParseAlgorithm(alg)
		if err != nil {
			return err
		}
		k, err := lic.CreateSeal(ctx, dept, a, years)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已制作印章：%s（%s），编码 %s，证书指纹 %s，有效至 %s\n", k.SealName, k.Algorithm, k.SealCode, k.Fingerprint, k.ValidTo.Format(time.DateOnly))
	case "list":
		makers, err := lic.Makers(ctx)
		if err != nil {
			return err
		}
		for _, m := range makers {
			fmt.Fprintf(stdout, "制章机构\t%s\t%s\t有效至 %s\n", m.Name, m.Algorithm, m.NotAfter.Format(time.DateOnly))
		}
		seals, err := lic.Seals(ctx)
		if err != nil {
			return err
		}
		for _, k := range seals {
			state := "在用"
			if !k.Active {
				state = "已停用"
			}
			fmt.Fprintf(stdout, "印章\t%s\t%s\t%s\t%s\t%s 至 %s\t%s\n", k.DepartmentName, k.SealCode, k.Algorithm, k.Fingerprint[:16],
				k.ValidFrom.Format(time.DateOnly), k.ValidTo.Format(time.DateOnly), state)
		}
	case "trust":
		pem, err := lic.TrustPEM(ctx)
		if err != nil {
			return err
		}
		if out == "" {
			_, err = stdout.Write(pem)
			return err
		}
		if err := os.WriteFile(out, pem, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已写入 %s\n", out)
	}
	return nil
}

// openLicences opens the installation's database and data key for the
// licence service. The key must already exist: these commands never make
// a new one (that would leave the stored keys unreadable).
func openLicences(ctx context.Context, c *common, getenv func(string) string) (*licence.Service, func(), error) {
	var key []byte
	var err error
	if v := getenv("YIWANG_DATA_KEY"); v != "" {
		if key, err = parseKey(v); err != nil {
			return nil, nil, err
		}
	} else {
		b, err := os.ReadFile(filepath.Join(c.data, "keys", "data.key"))
		if err != nil {
			return nil, nil, fmt.Errorf("读取数据主密钥（%s）失败：%w；请用 --data 指向 yiwang 的数据目录，或设置 YIWANG_DATA_KEY", filepath.Join(c.data, "keys", "data.key"), err)
		}
		if key, err = secret.ParseKey(strings.TrimSpace(string(b))); err != nil {
			return nil, nil, fmt.Errorf("数据主密钥：%w", err)
		}
	}
	box, err := secret.New(key)
	if err != nil {
		return nil, nil, err
	}
	d, err := c.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if cur, latest, err := d.MigrationVersion(ctx); err != nil || cur == 0 || cur < latest {
		d.Close()
		return nil, nil, fmt.Errorf("数据库尚未迁移或不是 yiwang 数据库（请先运行 yiwang migrate）")
	}
	clk := &clock.Adjustable{}
	ids := identity.NewService(d, box, clk)
	return licence.NewService(d, ids, box, clk, nil, ""), func() { d.Close() }, nil
}

const licenceUsage = `用法：
  yiwang licence verify [--trust CERTS.pem | --data DIR [--db DSN]] [--json] FILE
      核验电子证照：FILE 为证照 PDF，或内含二维码内容（核验网址或 YWL1. 开头的核验码）的文本文件。
      --trust 只用所给的证书离线核验（无法得知是否已注销）；否则用 --data 所指安装的证书和证照登记。
      真实且有效时退出码 0，不真实或已失效时 1，用法错误 2。
`

// cmdLicence runs `yiwang licence verify`.
func cmdLicence(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, licenceUsage)
		return exitError(2)
	}
	fs := newFlagSet("licence verify", "核验电子证照（PDF 或二维码内容），真实且有效时退出码为 0。", stderr)
	var c common
	c.register(fs, getenv)
	trust := fs.String("trust", "", "所信任的证书（PEM，yiwang seal trust 导出，或 /api/v1/licences/trust.pem）；给出时离线核验")
	asJSON := fs.Bool("json", false, "以 JSON 输出核验结果")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError(2)
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, licenceUsage)
		return exitError(2)
	}
	input, err := readVerifyFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var res *licence.Result
	if *trust != "" {
		pem, err := os.ReadFile(*trust)
		if err != nil {
			return fmt.Errorf("读取所信任的证书：%w", err)
		}
		if res, err = licence.Offline(pem, input, time.Now()); err != nil {
			return err
		}
	} else {
		lic, closeDB, err := openLicences(ctx, &c, getenv)
		if err != nil {
			return err
		}
		defer closeDB()
		if res, err = lic.VerifyFile(ctx, input); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printVerdict(stdout, res)
	}
	if !res.Valid {
		return exitError(1)
	}
	return nil
}

// readVerifyFile reads the file to verify, bounded (a licence PDF is a
// few hundred KB).
func readVerifyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("读取待核验文件：%w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 16<<20+1))
	if err != nil {
		return nil, fmt.Errorf("读取待核验文件：%w", err)
	}
	if len(b) > 16<<20 {
		return nil, errors.New("待核验文件超过 16 MB，不是电子证照")
	}
	return b, nil
}

func printVerdict(w io.Writer, r *licence.Result) {
	verdict := "核验未通过"
	switch {
	case r.Valid:
		verdict = "真实有效"
	case r.Genuine:
		verdict = "签章真实，但证照已失效"
	}
	if strings.HasPrefix(r.Reason, verdict) {
		fmt.Fprintln(w, r.Reason)
	} else {
		fmt.Fprintf(w, "%s：%s\n", verdict, r.Reason)
	}
	if l := r.Licence; l != nil {
		for _, kv := range [][2]string{{"证照名称", l.TypeName}, {"证照编号", l.Number}, {"持证主体", l.HolderName}, {"持证主体代码", l.HolderID},
			{"发证机关", l.IssuerName}, {"发证日期", l.IssuedOn}, {"有效期至", l.ValidTo}, {"状态", l.StateName}, {"证照标识", l.Identifier}} {
			if kv[1] != "" {
				fmt.Fprintf(w, "  %s：%s\n", kv[0], kv[1])
			}
		}
	}
	if s := r.Seal; s != nil {
		fmt.Fprintf(w, "  签章单位：%s（%s）\n", s.Department, s.CreditCode)
		if s.SignedAt != nil {
			fmt.Fprintf(w, "  签章时间：%s\n", s.SignedAt.Format(time.RFC3339))
		}
	}
}
