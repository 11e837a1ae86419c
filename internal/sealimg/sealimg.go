// Package sealimg draws the picture of a round Chinese official seal
// (公章): a red ring, a five-pointed star in the middle, the organisation's
// name in an arc along the upper part inside the ring, each character
// turned to face outwards, and the seal's name (e.g. 电子证照专用章) on a
// straight line under the star. The background is transparent, so the
// seal can lie over the issuer's name on a licence as a real seal does.
//
// It is only a picture: what makes an electronic licence authentic is the
// SM2 signature (internal/seal), not this image.
//
// Everything is drawn as vector outlines (golang.org/x/image/vector), the
// glyphs taken from the font of internal/pdf with golang.org/x/image/font/sfnt.
package sealimg

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"yiwang/internal/pdf"
)

// MaxRunes is the longest organisation or seal name accepted.
const MaxRunes = 40

// Red is the seal's ink.
var Red = color.RGBA{220, 0, 0, 255}

var (
	fontOnce sync.Once
	fontObj  *sfnt.Font
	fontErr  error
	bufPool  = sync.Pool{New: func() any { return new(sfnt.Buffer) }}
)

func face() (*sfnt.Font, error) {
	fontOnce.Do(func() { fontObj, fontErr = sfnt.Parse(pdf.FontData()) })
	return fontObj, fontErr
}

// Draw returns the seal as a px×px PNG with a transparent background.
func Draw(orgName, sealName string, px int) ([]byte, error) {
	img, err := Image(orgName, sealName, px)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, paletted(img)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// alphaLevels is how many opacities of red the PNG keeps: enough for
// smooth edges when printed at 42 mm, and a file a fifth the size of the
// full-colour one (about 11 KB at 480 px instead of 54 KB). The picture
// travels inside every signature and every licence PDF, and is hashed at
// every verification, so its size is the verifiers' cost.
const alphaLevels = 8

// paletted reduces the seal (one colour at varying opacity) to a palette
// of alphaLevels opacities of Red.
func paletted(img *image.RGBA) *image.Paletted {
	pal := make(color.Palette, alphaLevels)
	for i := range pal {
		pal[i] = color.NRGBA{Red.R, Red.G, Red.B, uint8(i * 255 / (alphaLevels - 1))}
	}
	b := img.Bounds()
	p := image.NewPaletted(b, pal)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			a := uint32(img.RGBAAt(x, y).A)
			p.SetColorIndex(x, y, uint8((a*(alphaLevels-1)+127)/255))
		}
	}
	return p
}

// Image is Draw without the PNG encoding.
func Image(orgName, sealName string, px int) (*image.RGBA, error) {
	for _, n := range []struct{ what, s string }{{"机构名称", orgName}, {"印章名称", sealName}} {
		if n.s == "" {
			return nil, fmt.Errorf("sealimg: %s为空", n.what)
		}
		if !utf8.ValidString(n.s) {
			return nil, fmt.Errorf("sealimg: %s不是有效的 UTF-8", n.what)
		}
		if c := utf8.RuneCountInString(n.s); c > MaxRunes {
			return nil, fmt.Errorf("sealimg: %s有 %d 个字，至多 %d 个", n.what, c, MaxRunes)
		}
	}
	if px < 64 || px > 4096 {
		return nil, fmt.Errorf("sealimg: size %d px out of range 64..4096", px)
	}
	f, err := face()
	if err != nil {
		return nil, fmt.Errorf("sealimg font: %w", err)
	}
	buf := bufPool.Get().(*sfnt.Buffer)
	defer bufPool.Put(buf)

	s := float64(px)
	c := s / 2
	R := s * 0.485    // outer edge of the ring
	ring := R * 0.075 // ring width
	rin := R - ring   // inner edge of the ring
	r := vector.NewRasterizer(px, px)

	// The ring: the outer circle one way, the inner the other way round.
	circle(r, c, c, R, false)
	circle(r, c, c, rin, true)

	// The star, its points on a circle of a third of the seal's radius.
	star(r, c, c+R*0.01, R*0.36)

	// The organisation's name along the arc.
	org := []rune(orgName)
	n := float64(len(org))
	span := math.Min(240, 30+n*26) * math.Pi / 180 // total angle of the text
	if len(org) == 1 {
		span = 0
	}
	gap := R * 0.045
	const sx = 0.75 // seal characters are taller than wide
	size := R * 0.3
	for range 4 { // fit the size to the pitch at the text's radius
		rc := rin - gap - size/2
		pitch := rc * span / math.Max(n-1, 1)
		if len(org) > 1 {
			size = math.Min(R*0.3, pitch*0.95/sx)
		}
	}
	rc := rin - gap - size/2
	for i, ch := range org {
		theta := 0.0
		if len(org) > 1 {
			theta = -span/2 + span*float64(i)/(n-1)
		}
		x, y := c+rc*math.Sin(theta), c-rc*math.Cos(theta)
		if err := glyph(r, f, buf, ch, size, sx, x, y, theta); err != nil {
			return nil, err
		}
	}

	// The seal's name, straight, under the star.
	name := []rune(sealName)
	nsize := R * 0.17
	if w := nsize * 0.9 * float64(len(name)); w > R*1.2 {
		nsize *= R * 1.2 / w
	}
	nx := c - nsize*0.9*float64(len(name))/2 + nsize*0.9/2
	ny := c + R*0.6
	for i, ch := range name {
		if err := glyph(r, f, buf, ch, nsize, 0.9, nx+float64(i)*nsize*0.9, ny, 0); err != nil {
			return nil, err
		}
	}

	img := image.NewRGBA(image.Rect(0, 0, px, px))
	r.Draw(img, img.Bounds(), image.NewUniform(Red), image.Point{})
	return img, nil
}

// circle adds a circle of radius rad as four cubic Béziers.
func circle(r *vector.Rasterizer, cx, cy, rad float64, reverse bool) {
	const k = 0.5522847498
	pts := [][2]float64{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	if reverse {
		pts = [][2]float64{{1, 0}, {0, -1}, {-1, 0}, {0, 1}}
	}
	p := func(x, y float64) (float32, float32) { return float32(cx + x*rad), float32(cy + y*rad) }
	r.MoveTo(p(1, 0))
	for i := range 4 {
		a, b := pts[i], pts[(i+1)%4]
		c1x, c1y := p(a[0]+k*b[0], a[1]+k*b[1])
		c2x, c2y := p(b[0]+k*a[0], b[1]+k*a[1])
		ex, ey := p(b[0], b[1])
		r.CubeTo(c1x, c1y, c2x, c2y, ex, ey)
	}
	r.ClosePath()
}

// star adds a five-pointed star, one point up.
func star(r *vector.Rasterizer, cx, cy, rad float64) {
	inner := rad * 0.382
	for i := range 10 {
		a := -math.Pi/2 + float64(i)*math.Pi/5
		l := rad
		if i%2 == 1 {
			l = inner
		}
		x, y := float32(cx+l*math.Cos(a)), float32(cy+l*math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}

// glyph adds the outline of ch, size pixels high and squeezed to sx of its
// width, centred on (x, y) and turned clockwise by theta (its top facing
// away from the seal's centre).
func glyph(r *vector.Rasterizer, f *sfnt.Font, buf *sfnt.Buffer, ch rune, size, sx, x, y, theta float64) error {
	gi, err := f.GlyphIndex(buf, ch)
	if err != nil {
		return err
	}
	if gi == 0 {
		return fmt.Errorf("sealimg: 字体中没有“%c”", ch)
	}
	ppem := fixed.Int26_6(size * 64)
	segs, err := f.LoadGlyph(buf, gi, ppem, nil)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return nil // a space
	}
	adv, err := f.GlyphAdvance(buf, gi, ppem, 0)
	if err != nil {
		return err
	}
	// Centre: half the advance across, and the middle of the ideographic
	// em box (ascent 0.88 em, descent 0.12 em for this font) up and down.
	ox := float64(adv) / 64 / 2
	oy := -size * 0.38
	sin, cos := math.Sin(theta), math.Cos(theta)
	tr := func(p fixed.Point26_6) (float32, float32) {
		lx := (float64(p.X)/64 - ox) * sx
		ly := float64(p.Y)/64 - oy
		return float32(x + lx*cos - ly*sin), float32(y + lx*sin + ly*cos)
	}
	open := false
	for _, sg := range segs {
		switch sg.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				r.ClosePath()
			}
			r.MoveTo(tr(sg.Args[0]))
			open = true
		case sfnt.SegmentOpLineTo:
			r.LineTo(tr(sg.Args[0]))
		case sfnt.SegmentOpQuadTo:
			ax, ay := tr(sg.Args[0])
			bx, by := tr(sg.Args[1])
			r.QuadTo(ax, ay, bx, by)
		case sfnt.SegmentOpCubeTo:
			ax, ay := tr(sg.Args[0])
			bx, by := tr(sg.Args[1])
			cx, cy := tr(sg.Args[2])
			r.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	if open {
		r.ClosePath()
	}
	return nil
}
