package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"yiwang/internal/qr"
)

// Field is one row of a licence's table.
type Field struct{ Label, Value string }

// LicenceDoc is what an electronic licence (电子证照) shows.
type LicenceDoc struct {
	Title       string   // e.g. 食品经营许可证
	Subtitle    string   // e.g. 电子证照
	Fields      []Field  // in order: 证照编号, 持证主体, 统一社会信用代码, …, 有效期限
	Issuer      string   // 发证机关
	IssueDate   string   // 2026年12月02日
	Identifier  string   // GB/T 36904 licence identifier, 1.2.156.3005.2.…
	SealPNG     []byte   // the seal picture (internal/sealimg), transparent PNG
	QRText      string   // what the QR code holds (the verification link)
	VerifyURL   string   // shown as 核验地址
	Annotations []string // 加注, may be empty
	Revoked     bool     // reserved: not used when issuing
}

const mm = 72 / 25.4

var (
	licRed  = [3]uint8{176, 28, 28}
	licGrey = [3]uint8{90, 90, 90}
)

// Licence lays out one portrait A4 page: a double border, the centred
// title and subtitle, the fields as a two-column table (values wrapped),
// the annotations (加注) under it, the QR code bottom-left drawn as vector
// squares with 扫码核验 under it, the issuer and date bottom-right with the
// seal over them, and the identifier and 核验地址 in small print at the foot.
//
// The same LicenceDoc gives byte-identical output: the PDF's creation date
// is the issue date (00:00 China Standard Time), or absent if IssueDate is
// not of the form 2006年01月02日, and nothing else varies. It embeds a font
// of only the characters on the page (subsetGlyphs) and is written by the
// one-page writer of licencepdf.go, not gopdf: BenchmarkLicence 1.9 ms a
// licence with the QR encoding (0.43 ms), load 1, against 12–15 ms through
// gopdf.
func Licence(d LicenceDoc) ([]byte, error) {
	if strings.TrimSpace(d.Title) == "" {
		return nil, errors.New("pdf licence: empty title")
	}
	if len(d.SealPNG) == 0 {
		return nil, errors.New("pdf licence: no seal picture")
	}
	if !bytes.HasPrefix(d.SealPNG, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, errors.New("pdf licence: the seal picture is not a PNG")
	}
	if d.Issuer == "" {
		return nil, errors.New("pdf licence: no issuer")
	}
	modules, err := qr.Matrix(d.QRText)
	if err != nil {
		return nil, fmt.Errorf("pdf licence: QR code: %w", err)
	}

	idLine := "证照标识：" + d.Identifier
	urlLine := "核验地址：" + d.VerifyURL
	texts := []string{d.Title, d.Subtitle, d.Issuer, d.IssueDate, idLine, urlLine, "扫码核验", "加注", "发证机关", "…"}
	for _, f := range d.Fields {
		texts = append(texts, f.Label, f.Value)
	}
	texts = append(texts, d.Annotations...)
	var runes []rune
	for _, t := range texts {
		runes = append(runes, []rune(t)...)
	}
	font, err := subsetGlyphs(runes)
	if err != nil {
		return nil, fmt.Errorf("pdf licence font: %w", err)
	}
	seal, err := sealImage(d.SealPNG)
	if err != nil {
		return nil, fmt.Errorf("pdf licence: seal picture: %w", err)
	}
	info := licenceInfo{title: d.Title + " " + d.Subtitle, subject: d.Identifier}
	if t, err := time.ParseInLocation("2006年01月02日", d.IssueDate, time.FixedZone("CST", 8*3600)); err == nil {
		info.created = t
	}
	p := &canvas{font: font, width: -1, b: make([]byte, 0, 24<<10)}

	// Double border.
	p.SetStrokeColor(licRed[0], licRed[1], licRed[2])
	p.SetLineWidth(2.4)
	p.strokeRect(22, 22, pageW-22, pageH-22)
	p.SetLineWidth(0.7)
	p.strokeRect(29, 29, pageW-29, pageH-29)

	// Title and subtitle.
	p.centre(d.Title, 28, 78, licRed)
	if d.Subtitle != "" {
		p.centre(d.Subtitle, 13, 122, licGrey)
	}

	// Fields.
	const left, right = 66.0, pageW - 66
	const size, pad = 11.5, 7.0
	// The label column fits the longest label (法定代表人（负责人）), within bounds.
	p.setFont(size)
	labelW := 100.0
	for _, f := range d.Fields {
		labelW = max(labelW, p.measure(f.Label)+2*pad)
	}
	labelW = min(labelW, 170)
	y := 160.0
	p.SetLineWidth(0.5)
	p.SetStrokeColor(150, 150, 150)
	p.Line(left, y, right, y)
	for _, f := range d.Fields {
		p.setFont(size)
		ls := p.lines(f.Value, right-left-labelW-2*pad)
		if len(ls) == 0 {
			ls = []string{""}
		}
		h := float64(len(ls))*size*lineGap + 2*pad - (lineGap-1)*size
		p.fillRect(left, y, left+labelW, y+h, [3]uint8{248, 242, 236})
		p.SetTextColor(licGrey[0], licGrey[1], licGrey[2])
		p.cell(left+pad, y+pad, f.Label)
		p.SetTextColor(0, 0, 0)
		for i, s := range ls {
			p.cell(left+labelW+pad, y+pad+float64(i)*size*lineGap, s)
		}
		p.SetStrokeColor(150, 150, 150)
		p.Line(left, y, left, y+h)
		p.Line(left+labelW, y, left+labelW, y+h)
		p.Line(right, y, right, y+h)
		y += h
		p.Line(left, y, right, y)
	}

	// Annotations.
	const bottom = pageH - 232 // top of the QR code / seal block
	if len(d.Annotations) > 0 {
		y += 14
		p.setFont(11.5)
		p.SetTextColor(licRed[0], licRed[1], licRed[2])
		p.cell(left, y, "加注")
		p.SetTextColor(0, 0, 0)
		y += 11.5 * lineGap
		p.setFont(10)
		for _, a := range d.Annotations {
			for _, s := range p.lines(a, right-left-12) {
				p.cell(left+12, y, s)
				y += 10 * lineGap
			}
		}
	}
	if y > bottom {
		return nil, errors.New("pdf licence: the fields and annotations do not fit on one page")
	}

	// QR code, bottom-left, as vector squares: one path of rectangles in
	// module units, each a run of dark modules grown over the rows below.
	const qrSide = 30 * mm
	qx, qy := left+4, pageH-92-qrSide
	p.qr(qrRects(modules), len(modules), qx, qy, qrSide)
	p.setFont(10)
	w := p.measure("扫码核验")
	p.SetTextColor(0, 0, 0)
	p.cell(qx+(qrSide-w)/2, qy+qrSide+5, "扫码核验")

	// Issuer and date, bottom-right, the seal over them.
	p.setFont(13)
	iw := p.measure(d.Issuer)
	dw := p.measure(d.IssueDate)
	bw := max(iw, dw)
	bx := right - 8 - bw
	iy := pageH - 92 - qrSide/2 - 14
	// The seal first, the text over it: black shows through the red as
	// on paper, and the issuer's name stays legible.
	const sealW = 42 * mm
	sx := min(bx+bw/2-sealW/2, right-sealW)
	p.image(sx, iy+18-sealW/2, sealW, sealW)

	p.cell(bx+(bw-iw)/2, iy, d.Issuer)
	p.cell(bx+(bw-dw)/2, iy+22, d.IssueDate)

	// Identifier and verification address.
	p.setFont(8)
	p.SetTextColor(licGrey[0], licGrey[1], licGrey[2])
	p.cell(left, pageH-62, Truncate(idLine, 110))
	p.cell(left, pageH-50, Truncate(urlLine, 110))

	return writeLicencePDF(p.b, font, seal, info), nil
}

func (c *canvas) centre(text string, size, y float64, col [3]uint8) {
	c.setFont(size)
	w := c.measure(text)
	c.SetTextColor(col[0], col[1], col[2])
	c.cell((pageW-w)/2, y, text)
	c.SetTextColor(0, 0, 0)
}

type rect struct{ x0, y0, x1, y1 int }

// qrRects covers the dark modules with rectangles: each horizontal run,
// extended down over the rows that have exactly the same run.
func qrRects(m [][]bool) []rect {
	n := len(m)
	done := make([]bool, n*n)
	var out []rect
	for y := range n {
		for x := 0; x < n; {
			if !m[y][x] || done[y*n+x] {
				x++
				continue
			}
			e := x
			for e < n && m[y][e] && !done[y*n+e] {
				e++
			}
			y1 := y + 1
			for y1 < n && sameRun(m[y1], x, e) {
				y1++
			}
			for yy := y; yy < y1; yy++ {
				for xx := x; xx < e; xx++ {
					done[yy*n+xx] = true
				}
			}
			out = append(out, rect{x, y, e, y1})
			x = e
		}
	}
	return out
}

// sameRun reports whether row has a dark run exactly from x to e.
func sameRun(row []bool, x, e int) bool {
	if x > 0 && row[x-1] || e < len(row) && row[e] {
		return false
	}
	for i := x; i < e; i++ {
		if !row[i] {
			return false
		}
	}
	return true
}
