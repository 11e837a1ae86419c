package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"
)

// Licence pages are written by this small one-page PDF writer rather than
// gopdf: issuing must make hundreds of licences a second, and gopdf spends
// about 12 ms on one (a new 1.2 MB deflate writer per stream, the font
// parsed and subset again, every QR rectangle formatted through fmt in its
// own q/Q). Here the streams share pooled deflate writers, the font is the
// subset of subsetGlyphs as it is, and the QR code is one path in module
// units under one transformation (whole numbers, so adjacent rectangles
// meet exactly). The output is PDF 1.7 that poppler and pdf.js read; the
// layout (page 595 × 842 pt, text placed at the top of its line by the
// font's typographic ascender, widths in thousandths) is gopdf's, so a
// licence looks as before.

const (
	canvasW = 595.0 // gopdf's A4 media box
	canvasH = 842.0
)

// canvas is the page's content stream and the font it uses.
type canvas struct {
	b      []byte
	font   *fontSubset
	size   float64
	fill   [3]uint8 // non-stroking colour as set in the stream
	fillOK bool
	text   [3]uint8 // colour for text
	stroke [3]uint8
	strkOK bool
	width  float64 // line width; < 0 until set
	err    error
}

func (c *canvas) num(v float64) {
	c.b = strconv.AppendFloat(c.b, v, 'f', 2, 64)
	c.b = append(c.b, ' ')
}

func (c *canvas) op(s string) { c.b = append(c.b, s...); c.b = append(c.b, '\n') }

func (c *canvas) colour(v [3]uint8, op string) {
	for _, x := range v {
		c.b = strconv.AppendFloat(c.b, float64(x)/255, 'f', 3, 64)
		c.b = append(c.b, ' ')
	}
	c.op(op)
}

func (c *canvas) setFill(v [3]uint8) {
	if !c.fillOK || c.fill != v {
		c.fill, c.fillOK = v, true
		c.colour(v, "rg")
	}
}

func (c *canvas) SetStrokeColor(r, g, b uint8) {
	v := [3]uint8{r, g, b}
	if !c.strkOK || c.stroke != v {
		c.stroke, c.strkOK = v, true
		c.colour(v, "RG")
	}
}

func (c *canvas) SetLineWidth(w float64) {
	if c.width != w {
		c.width = w
		c.num(w)
		c.op("w")
	}
}

func (c *canvas) SetTextColor(r, g, b uint8) { c.text = [3]uint8{r, g, b} }

// strokeRect strokes the rectangle with corners (x0, y0) and (x1, y1),
// top-down coordinates.
func (c *canvas) strokeRect(x0, y0, x1, y1 float64) {
	c.num(x0)
	c.num(canvasH - y1)
	c.num(x1 - x0)
	c.num(y1 - y0)
	c.op("re S")
}

func (c *canvas) fillRect(x0, y0, x1, y1 float64, v [3]uint8) {
	c.setFill(v)
	c.num(x0)
	c.num(canvasH - y1)
	c.num(x1 - x0)
	c.num(y1 - y0)
	c.op("re f")
}

func (c *canvas) Line(x0, y0, x1, y1 float64) {
	c.num(x0)
	c.num(canvasH - y0)
	c.b = append(c.b, "m "...)
	c.num(x1)
	c.num(canvasH - y1)
	c.op("l S")
}

func (c *canvas) setFont(size float64) { c.size = size }

func (c *canvas) measure(text string) float64 { return c.font.textWidth(text, c.size) }

// cell writes text with its top at (x, y), as gopdf's Cell does: the
// baseline is the typographic ascender below y.
func (c *canvas) cell(x, y float64, text string) {
	if text == "" {
		return
	}
	c.setFill(c.text)
	c.b = append(c.b, "BT /F1 "...)
	c.num(c.size)
	c.b = append(c.b, "Tf "...)
	c.num(x)
	c.num(canvasH - y - float64(c.font.src.typoAscender())*c.size/float64(c.font.upem()))
	c.b = append(c.b, "Td <"...)
	for _, r := range text {
		if g, ok := c.font.gid[r]; ok {
			c.b = fmt.Appendf(c.b, "%04X", g)
		}
	}
	c.op("> Tj ET")
}

// lines wraps text to width at the current size, rune by rune, as gopdf's
// SplitText does (a paragraph per explicit line break).
func (c *canvas) lines(text string, width float64) []string {
	var out []string
	for _, para := range bytes.Split([]byte(text), []byte("\n")) {
		if len(bytes.TrimSpace(para)) == 0 {
			out = append(out, "")
			continue
		}
		var line []rune
		lw := 0.0
		for _, r := range string(para) {
			w := 0.0
			if g, ok := c.font.gid[r]; ok {
				w = float64(c.font.width[g]) * c.size / 1000
			}
			if lw+w > width && len(line) > 0 {
				out = append(out, string(line))
				line, lw = line[:0], 0
			}
			line = append(line, r)
			lw += w
		}
		out = append(out, string(line))
	}
	return out
}

// qr fills the dark modules of m (rectangles in module units) in a square
// of side points whose top-left corner is (x, y).
func (c *canvas) qr(rects []rect, n int, x, y, side float64) {
	c.setFill([3]uint8{})
	mod := side / float64(n)
	c.op("q")
	c.b = strconv.AppendFloat(c.b, mod, 'f', 6, 64)
	c.b = append(c.b, " 0 0 "...)
	c.b = strconv.AppendFloat(c.b, -mod, 'f', 6, 64)
	c.b = append(c.b, ' ')
	c.num(x)
	c.num(canvasH - y)
	c.op("cm")
	for _, r := range rects {
		c.b = strconv.AppendInt(c.b, int64(r.x0), 10)
		c.b = append(c.b, ' ')
		c.b = strconv.AppendInt(c.b, int64(r.y0), 10)
		c.b = append(c.b, ' ')
		c.b = strconv.AppendInt(c.b, int64(r.x1-r.x0), 10)
		c.b = append(c.b, ' ')
		c.b = strconv.AppendInt(c.b, int64(r.y1-r.y0), 10)
		c.b = append(c.b, " re\n"...)
	}
	c.op("f Q")
}

// image draws the seal picture (XObject /Im1) with its top-left corner at
// (x, y), w × h points.
func (c *canvas) image(x, y, w, h float64) {
	c.op("q")
	c.num(w)
	c.b = append(c.b, "0 0 "...)
	c.num(h)
	c.num(x)
	c.num(canvasH - y - h)
	c.op("cm /Im1 Do Q")
}

// Deflate writers are pooled: a new one costs 1.2 MB of tables.
var deflaters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

func deflate(dst *bytes.Buffer, b []byte) {
	w := deflaters.Get().(*zlib.Writer)
	w.Reset(dst)
	w.Write(b) // a bytes.Buffer does not fail
	w.Close()
	deflaters.Put(w)
}

// pdfImage is a palette PNG ready for embedding: its zlib data as it is
// (PNG predictors are PDF's /Predictor 15) and its palette.
type pdfImage struct {
	w, h, bpc int
	palette   []byte // RGB triples
	mask      []int  // fully transparent palette entries, for /Mask
	data      []byte // concatenated IDAT
}

// parsePalettePNG reads a non-interlaced palette PNG.
func parsePalettePNG(b []byte) (*pdfImage, error) {
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, errors.New("not a PNG")
	}
	img := &pdfImage{}
	var trns []byte
	for p := 8; p+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		if n < 0 || p+12+n > len(b) {
			return nil, errors.New("PNG chunk out of range")
		}
		typ, body := string(b[p+4:p+8]), b[p+8:p+8+n]
		if crc32.ChecksumIEEE(b[p+4:p+8+n]) != binary.BigEndian.Uint32(b[p+8+n:]) {
			return nil, errors.New("PNG chunk checksum")
		}
		switch typ {
		case "IHDR":
			if n != 13 {
				return nil, errors.New("PNG header")
			}
			img.w, img.h, img.bpc = int(binary.BigEndian.Uint32(body)), int(binary.BigEndian.Uint32(body[4:])), int(body[8])
			if body[9] != 3 || body[12] != 0 {
				return nil, errors.New("not a non-interlaced palette PNG")
			}
		case "PLTE":
			img.palette = body
		case "tRNS":
			trns = body
		case "IDAT":
			img.data = append(img.data, body...)
		}
		p += 12 + n
	}
	if img.w == 0 || len(img.palette) == 0 || len(img.palette)%3 != 0 || len(img.data) == 0 {
		return nil, errors.New("incomplete palette PNG")
	}
	for i, a := range trns {
		if a == 0 {
			img.mask = append(img.mask, i)
		} else if a != 255 {
			return nil, errors.New("palette PNG with partial transparency")
		}
	}
	return img, nil
}

// pdfWriter collects numbered objects and writes the file.
type pdfWriter struct {
	buf  bytes.Buffer
	offs []int
}

func (w *pdfWriter) begin(id int) {
	for len(w.offs) < id {
		w.offs = append(w.offs, 0)
	}
	w.offs[id-1] = w.buf.Len()
	w.buf.WriteString(strconv.Itoa(id))
	w.buf.WriteString(" 0 obj\n")
}

func (w *pdfWriter) object(id int, body string) {
	w.begin(id)
	w.buf.WriteString(body)
	w.buf.WriteString("\nendobj\n")
}

// stream writes a stream object; dict is without /Length.
func (w *pdfWriter) stream(id int, dict string, data []byte) {
	w.begin(id)
	w.buf.WriteString("<<")
	w.buf.WriteString(dict)
	w.buf.WriteString(" /Length ")
	w.buf.WriteString(strconv.Itoa(len(data)))
	w.buf.WriteString(">>\nstream\n")
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func (w *pdfWriter) deflated(id int, dict string, data []byte) {
	var z bytes.Buffer
	z.Grow(len(data)/2 + 64)
	deflate(&z, data)
	w.stream(id, dict+" /Filter /FlateDecode", z.Bytes())
}

// pdfText is a text string for the document information: UTF-16BE hex.
func pdfText(s string) string {
	b := []byte("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		b = fmt.Appendf(b, "%04X", u)
	}
	return string(append(b, '>'))
}

type licenceInfo struct {
	title, subject string
	created        time.Time // zero: none
}

// writeLicencePDF assembles the file: catalogue, page, content, font
// (Type0 / CIDFontType2, Identity-H, with a ToUnicode map so the text can
// be searched and copied), seal image and document information.
func writeLicencePDF(content []byte, f *fontSubset, img *pdfImage, info licenceInfo) []byte {
	const (
		oCatalog = iota + 1
		oPages
		oPage
		oContent
		oFont
		oCIDFont
		oDescriptor
		oFontFile
		oToUnicode
		oImage
		oInfo
		nObjects = oInfo
	)
	w := &pdfWriter{}
	w.buf.Grow(len(content)/3 + len(f.ttf)*3/4 + len(img.data) + 8192)
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	w.object(oCatalog, fmt.Sprintf("<</Type /Catalog /Pages %d 0 R>>", oPages))
	w.object(oPages, fmt.Sprintf("<</Type /Pages /Count 1 /Kids [%d 0 R]>>", oPage))
	w.object(oPage, fmt.Sprintf("<</Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Resources <</ProcSet [/PDF /Text /ImageB /ImageC /ImageI] /Font <</F1 %d 0 R>> /XObject <</Im1 %d 0 R>>>> /Contents %d 0 R>>",
		oPages, canvasW, canvasH, oFont, oImage, oContent))
	w.deflated(oContent, "", content)

	const baseFont = "/YWLSUB+WenQuanYiMicroHei"
	w.object(oFont, fmt.Sprintf("<</Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R>>",
		baseFont, oCIDFont, oToUnicode))
	var wa []byte
	wa = append(wa, "[0 ["...)
	for i, x := range f.width {
		if i > 0 {
			wa = append(wa, ' ')
		}
		wa = strconv.AppendInt(wa, int64(x), 10)
	}
	wa = append(wa, "]]"...)
	w.object(oCIDFont, fmt.Sprintf("<</Type /Font /Subtype /CIDFontType2 /BaseFont %s /CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 1000 /W %s>>",
		baseFont, oDescriptor, wa))
	m := f.src.pdfMetrics()
	w.object(oDescriptor, fmt.Sprintf("<</Type /FontDescriptor /FontName %s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /XHeight %d /StemV 80 /FontFile2 %d 0 R>>",
		baseFont, m.bbox[0], m.bbox[1], m.bbox[2], m.bbox[3], m.ascent, m.descent, m.capHeight, m.xHeight, oFontFile))
	w.deflated(oFontFile, " /Length1 "+strconv.Itoa(len(f.ttf)), f.ttf)
	w.deflated(oToUnicode, "", toUnicodeCMap(f))

	var pal []byte
	pal = append(pal, '<')
	for _, x := range img.palette {
		pal = fmt.Appendf(pal, "%02X", x)
	}
	pal = append(pal, '>')
	mask := ""
	if len(img.mask) > 0 {
		mask = " /Mask ["
		for _, i := range img.mask {
			mask += fmt.Sprintf("%d %d ", i, i)
		}
		mask += "]"
	}
	w.stream(oImage, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace [/Indexed /DeviceRGB %d %s] /BitsPerComponent %d /Filter /FlateDecode /DecodeParms <</Predictor 15 /Colors 1 /BitsPerComponent %d /Columns %d>>%s",
		img.w, img.h, len(img.palette)/3-1, pal, img.bpc, img.bpc, img.w, mask), img.data)

	infoDict := fmt.Sprintf("<</Title %s /Subject %s /Creator %s /Producer %s", pdfText(info.title), pdfText(info.subject),
		pdfText("yiwang 一体化在线政务服务平台"), pdfText("yiwang"))
	if !info.created.IsZero() {
		infoDict += info.created.Format(" /CreationDate(D:20060102150405-07'00')")
	}
	w.object(oInfo, infoDict+">>")

	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", nObjects+1)
	for _, o := range w.offs {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&w.buf, "trailer\n<</Size %d /Root %d 0 R /Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n", nObjects+1, oCatalog, oInfo, xref)
	return w.buf.Bytes()
}

// toUnicodeCMap maps each glyph of the subset back to its character.
func toUnicodeCMap(f *fontSubset) []byte {
	b := []byte("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var ids []int
	for g, r := range f.unicode {
		if r != 0 {
			ids = append(ids, g)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 100)
		b = fmt.Appendf(b, "%d beginbfchar\n", n)
		for _, g := range ids[:n] {
			b = fmt.Appendf(b, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{f.unicode[g]}) {
				b = fmt.Appendf(b, "%04X", u)
			}
			b = append(b, ">\n"...)
		}
		b = append(b, "endbfchar\n"...)
		ids = ids[n:]
	}
	return append(b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"...)
}

type fontMetrics struct {
	bbox                                [4]int
	ascent, descent, capHeight, xHeight int
}

func (s *ttfSource) typoAscender() int { return int(int16(u16(s.tables["OS/2"], 68))) }

// pdfMetrics is the font descriptor's numbers, in thousandths.
func (s *ttfSource) pdfMetrics() fontMetrics {
	head, hhea, os2 := s.tables["head"], s.tables["hhea"], s.tables["OS/2"]
	upem := u16(head, 18)
	k := func(v int) int { return v * 1000 / upem }
	i16 := func(b []byte, o int) int { return int(int16(u16(b, o))) }
	m := fontMetrics{bbox: [4]int{k(i16(head, 36)), k(i16(head, 38)), k(i16(head, 40)), k(i16(head, 42))},
		ascent: k(i16(hhea, 4)), descent: k(i16(hhea, 6))}
	m.capHeight, m.xHeight = m.ascent, m.ascent/2
	if u16(os2, 0) >= 2 && len(os2) >= 90 {
		m.xHeight, m.capHeight = k(i16(os2, 86)), k(i16(os2, 88))
	}
	return m
}
