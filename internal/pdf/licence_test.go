package pdf_test

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"

	"yiwang/internal/pdf"
	"yiwang/internal/pdf/pdftext"
	"yiwang/internal/sealimg"
)

var (
	sealOnce sync.Once
	sealPNG  []byte
)

func testDoc(t testing.TB) pdf.LicenceDoc {
	sealOnce.Do(func() {
		var err error
		sealPNG, err = sealimg.Draw("北京市朝阳区市场监督管理局", "电子证照专用章", 400)
		if err != nil {
			panic(err)
		}
	})
	return pdf.LicenceDoc{
		Title:    "食品经营许可证",
		Subtitle: "电子证照",
		Fields: []pdf.Field{
			{"证照编号", "JY11105052026001"},
			{"持证主体", "北京市朝阳区一网通办示范餐饮有限公司"},
			{"统一社会信用代码", "91110105MA01XYZ12K"},
			{"经营场所", "北京市朝阳区建国路八十八号院三号楼一层一零一室（经营面积一百二十平方米，含后厨与仓储区，不含室外就餐区域）"},
			{"主体业态", "餐饮服务经营者（中型餐馆）"},
			{"经营项目", "热食类食品制售；冷食类食品制售；生食类食品制售；半成品制售；自制饮品制售"},
			{"有效期限", "2026年12月02日至2031年12月01日"},
		},
		Issuer:      "北京市朝阳区市场监督管理局",
		IssueDate:   "2026年12月02日",
		Identifier:  "1.2.156.3005.2.11100000000013338W.91110105MA01XYZ12K.0001.001.T",
		SealPNG:     sealPNG,
		QRText:      "https://zwfw.example.gov.cn/verify?p=" + strings.Repeat("eyJ2IjoxLCJpZCI6IjEuMi4xNTYuMzAwNS4yIn0", 10),
		VerifyURL:   "https://zwfw.example.gov.cn/verify",
		Annotations: []string{"2027年03月15日 北京市朝阳区市场监督管理局：经营场所门牌号变更为建国路八十八号院三号楼一层一零二室。"},
	}
}

func TestLicenceText(t *testing.T) {
	d := testDoc(t)
	b, err := pdf.Licence(d)
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("LICENCE_OUT"); p != "" {
		os.WriteFile(p, b, 0o644) // to look at it
	}
	text := pdftext.Text(t, b)
	want := []string{d.Title, d.Subtitle, d.Issuer, d.IssueDate, d.Identifier, "核验地址：" + d.VerifyURL, "扫码核验", "加注"}
	for _, f := range d.Fields {
		want = append(want, f.Label, strings.ReplaceAll(f.Value, " ", ""))
	}
	flat := strings.ReplaceAll(text, " ", "")
	for _, w := range want {
		if !strings.Contains(flat, strings.ReplaceAll(w, " ", "")) {
			t.Errorf("%q not in the text:\n%s", w, text)
		}
	}
	if !strings.Contains(flat, "经营场所门牌号变更为") {
		t.Error("annotation missing")
	}
}

func TestLicenceDeterministic(t *testing.T) {
	d := testDoc(t)
	a, err := pdf.Licence(d)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := pdf.Licence(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("same input, different PDF")
		}
	}
	if !bytes.Contains(a, []byte("/CreationDate(D:20261202000000+08'00')")) {
		t.Error("creation date is not the issue date")
	}
	d.Fields = append(d.Fields, pdf.Field{"备注", "无"})
	if b, _ := pdf.Licence(d); bytes.Equal(a, b) {
		t.Fatal("different input, same PDF")
	}
}

func TestLicenceErrors(t *testing.T) {
	for name, f := range map[string]func(*pdf.LicenceDoc){
		"empty title":  func(d *pdf.LicenceDoc) { d.Title = " " },
		"no seal":      func(d *pdf.LicenceDoc) { d.SealPNG = nil },
		"seal not PNG": func(d *pdf.LicenceDoc) { d.SealPNG = []byte("GIF89a") },
		"no issuer":    func(d *pdf.LicenceDoc) { d.Issuer = "" },
		"no QR text":   func(d *pdf.LicenceDoc) { d.QRText = "" },
		"QR too long":  func(d *pdf.LicenceDoc) { d.QRText = strings.Repeat("a", 3000) },
		"too many fields": func(d *pdf.LicenceDoc) {
			for range 40 {
				d.Fields = append(d.Fields, pdf.Field{"经营项目", "热食类食品制售"})
			}
		},
	} {
		d := testDoc(t)
		f(&d)
		if _, err := pdf.Licence(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLicenceConcurrent(t *testing.T) {
	d := testDoc(t)
	want, err := pdf.Licence(d)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if b, err := pdf.Licence(d); err != nil || !bytes.Equal(b, want) {
				t.Error("concurrent licence differs", err)
			}
			if _, err := pdf.New("并发", "页脚"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkLicence(b *testing.B) {
	d := testDoc(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pdf.Licence(d); err != nil {
			b.Fatal(err)
		}
	}
}
