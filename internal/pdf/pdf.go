// Package pdf lays out simple Chinese documents (service guides, notices)
// as PDF with an embedded CJK TrueType font, so a printed or downloaded
// document reads the same on any machine. It wraps signintech/gopdf, which
// embeds a subset of the font (only the glyphs used).
package pdf

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/signintech/gopdf"
)

// The font is WenQuanYi Micro Hei (Apache-2.0 or GPL-3+ with font
// exception, see font/LICENSE-wqy-microhei.txt), the regular face taken out
// of Debian's .ttc, since gopdf reads TrueType (glyf) fonts, not
// collections or CFF.
//
//go:embed font/wqy-microhei.ttf
var fontData []byte

// FontData returns the embedded TrueType font (WenQuanYi Micro Hei, 4.6 MB),
// for packages that rasterise Chinese text (internal/sealimg) without
// embedding it a second time. The slice is shared: do not modify it.
func FontData() []byte { return fontData }

const (
	fontName = "wqy"
	pageW    = 595.28 // A4 in points
	pageH    = 841.89
	margin   = 56.0
	lineGap  = 1.45
)

// fonts parses the font once (15 ms) for all documents: gopdf's
// FontContainer hands each document a copy of the parsed font whose tables
// are only read, and a glyph map of its own.
var fonts = sync.OnceValues(func() (*gopdf.FontContainer, error) {
	fc := &gopdf.FontContainer{}
	return fc, fc.AddTTFFontData(fontName, fontData)
})

// Doc is a document being laid out top to bottom.
type Doc struct {
	p      *gopdf.GoPdf
	y      float64
	footer string
	pages  int
	err    error
}

// New starts an A4 document; footer is printed on every page with the page
// number.
func New(title, footer string) (*Doc, error) {
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	p.SetInfo(gopdf.PdfInfo{Title: title, Creator: "yiwang 一体化在线政务服务平台", Producer: "yiwang"})
	fc, err := fonts()
	if err == nil {
		err = p.AddTTFFontFromFontContainer(fontName, fc)
	}
	if err != nil {
		return nil, fmt.Errorf("pdf font: %w", err)
	}
	d := &Doc{p: p, footer: footer}
	d.newPage()
	return d, d.err
}

func (d *Doc) newPage() {
	d.p.AddPage()
	d.pages++
	d.y = margin
	if d.footer != "" {
		d.setFont(8)
		d.p.SetTextColor(110, 110, 110)
		d.p.SetXY(margin, pageH-margin/2-8)
		d.fail(d.p.Cell(nil, fmt.Sprintf("%s    第 %d 页", d.footer, d.pages)))
		d.p.SetTextColor(0, 0, 0)
	}
}

func (d *Doc) fail(err error) {
	if err != nil && d.err == nil {
		d.err = err
	}
}

func (d *Doc) setFont(size float64) { d.fail(d.p.SetFont(fontName, "", size)) }

// ensure starts a new page when h more points do not fit.
func (d *Doc) ensure(h float64) {
	if d.y+h > pageH-margin {
		d.newPage()
	}
}

// lines wraps text to width at the current font size, keeping explicit
// line breaks.
func (d *Doc) lines(text string, width float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		if strings.TrimSpace(para) == "" {
			out = append(out, "")
			continue
		}
		ls, err := d.p.SplitText(para, width)
		if err != nil {
			d.fail(err)
			return out
		}
		out = append(out, ls...)
	}
	return out
}

// Title writes a centred title.
func (d *Doc) Title(text string) {
	d.setFont(18)
	w, err := d.p.MeasureTextWidth(text)
	d.fail(err)
	d.ensure(30)
	d.p.SetXY((pageW-w)/2, d.y)
	d.fail(d.p.Cell(nil, text))
	d.y += 32
}

// Heading writes a section heading with a rule under it.
func (d *Doc) Heading(text string) {
	d.ensure(40)
	d.y += 6
	d.setFont(13)
	d.p.SetXY(margin, d.y)
	d.fail(d.p.Cell(nil, text))
	d.y += 18
	d.p.SetLineWidth(0.6)
	d.p.SetStrokeColor(184, 20, 27)
	d.p.Line(margin, d.y, pageW-margin, d.y)
	d.y += 6
}

// Para writes wrapped text at size points.
func (d *Doc) Para(text string, size float64) {
	d.setFont(size)
	for _, l := range d.lines(text, pageW-2*margin) {
		d.ensure(size * lineGap)
		d.p.SetXY(margin, d.y)
		if l != "" {
			d.fail(d.p.Cell(nil, l))
		}
		d.y += size * lineGap
	}
	d.y += 3
}

// Field writes "label：value" with the value wrapped beside the label.
func (d *Doc) Field(label, value string) {
	const size, labelW = 10.5, 96.0
	d.setFont(size)
	ls := d.lines(value, pageW-2*margin-labelW)
	if len(ls) == 0 {
		ls = []string{""}
	}
	for i, l := range ls {
		d.ensure(size * lineGap)
		if i == 0 {
			d.p.SetTextColor(90, 90, 90)
			d.p.SetXY(margin, d.y)
			d.fail(d.p.Cell(nil, label))
			d.p.SetTextColor(0, 0, 0)
		}
		d.p.SetXY(margin+labelW, d.y)
		d.fail(d.p.Cell(nil, l))
		d.y += size * lineGap
	}
	d.y += 2
}

// Table writes rows under a header; widths are fractions of the text width.
func (d *Doc) Table(header []string, widths []float64, rows [][]string) {
	const size = 9.5
	total := pageW - 2*margin
	row := func(cells []string, shade bool) {
		d.setFont(size)
		wrapped := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			wrapped[i] = d.lines(c, widths[i]*total-6)
			if len(wrapped[i]) > n {
				n = len(wrapped[i])
			}
		}
		h := float64(n)*size*lineGap + 6
		d.ensure(h)
		if shade {
			d.p.SetFillColor(242, 242, 242)
			d.fail(d.p.Rectangle(margin, d.y, pageW-margin, d.y+h, "F", 0, 0))
		}
		x := margin
		for i := range cells {
			for j, l := range wrapped[i] {
				d.p.SetXY(x+3, d.y+3+float64(j)*size*lineGap)
				d.fail(d.p.Cell(nil, l))
			}
			x += widths[i] * total
		}
		d.y += h
		d.p.SetLineWidth(0.3)
		d.p.SetStrokeColor(200, 200, 200)
		d.p.Line(margin, d.y, pageW-margin, d.y)
	}
	row(header, true)
	for _, r := range rows {
		row(r, false)
	}
	d.y += 6
}

// Right writes one line aligned to the right margin (the issuing
// department and date under a notice).
func (d *Doc) Right(text string, size float64) {
	d.setFont(size)
	w, err := d.p.MeasureTextWidth(text)
	d.fail(err)
	d.ensure(size * lineGap)
	d.p.SetXY(pageW-margin-w, d.y)
	d.fail(d.p.Cell(nil, text))
	d.y += size * lineGap
}

// Space adds vertical space.
func (d *Doc) Space(pt float64) { d.y += pt }

// Bytes finishes the document.
func (d *Doc) Bytes() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	var buf bytes.Buffer
	if _, err := d.p.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Truncate shortens s to at most n runes (for file names and titles).
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
