package sealimg

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
)

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDraw(t *testing.T) {
	const px = 400
	b, err := Draw("北京市朝阳区市场监督管理局", "电子证照专用章", px)
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("SEALIMG_OUT"); p != "" {
		os.WriteFile(p, b, 0o644) // to look at it
		if s, err := Draw("某某县人民政府", "电子证照专用章", px); err == nil {
			os.WriteFile(p+".short.png", s, 0o644)
		}
	}
	img := decode(t, b)
	if img.Bounds() != image.Rect(0, 0, px, px) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	for _, p := range []image.Point{{0, 0}, {px - 1, 0}, {0, px - 1}, {px - 1, px - 1}, {px / 10, px / 10}} {
		if _, _, _, a := img.At(p.X, p.Y).RGBA(); a != 0 {
			t.Fatalf("corner %v not transparent (alpha %d)", p, a)
		}
	}
	// The ring: red, opaque, all the way round at 0.45 of the width
	// from the centre (the ring runs from about 0.453 to 0.485).
	red := 0
	for deg := 0; deg < 360; deg += 5 {
		a := float64(deg) * math.Pi / 180
		x := int(float64(px)/2 + 0.468*px*math.Cos(a))
		y := int(float64(px)/2 + 0.468*px*math.Sin(a))
		r, g, bl, al := img.At(x, y).RGBA()
		if al > 0xF000 && r>>8 > 200 && g>>8 < 30 && bl>>8 < 30 {
			red++
		}
	}
	if red != 72 {
		t.Fatalf("%d of 72 points on the ring are red", red)
	}
	// The centre (the star) is red too.
	if _, _, _, a := img.At(px/2, px/2).RGBA(); a < 0xF000 {
		t.Fatal("no star at the centre")
	}
}

func TestDifferentNames(t *testing.T) {
	a, err := Draw("北京市朝阳区市场监督管理局", "电子证照专用章", 200)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Draw("上海市浦东新区市场监督管理局", "电子证照专用章", 200)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Draw("北京市朝阳区市场监督管理局", "行政审批专用章", 200)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("different names, same picture")
	}
	a2, _ := Draw("北京市朝阳区市场监督管理局", "电子证照专用章", 200)
	if !bytes.Equal(a, a2) {
		t.Fatal("same names, different pictures")
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		org, name string
		px        int
	}{
		{"", "电子证照专用章", 200},
		{"某某局", "", 200},
		{strings.Repeat("局", 41), "电子证照专用章", 200},
		{"某某局", strings.Repeat("章", 41), 200},
		{"某某局", "电子证照专用章", 10},
		{"某某局", "电子证照专用章", 100000},
		{"某某局\xff", "电子证照专用章", 200},
	} {
		if _, err := Draw(c.org, c.name, c.px); err == nil {
			t.Errorf("Draw(%q, %q, %d) accepted", c.org, c.name, c.px)
		}
	}
	if _, err := Draw(strings.Repeat("局", 40), "电子证照专用章", 200); err != nil {
		t.Errorf("40 runes: %v", err)
	}
}

func BenchmarkDraw(b *testing.B) {
	for b.Loop() {
		if _, err := Draw("北京市朝阳区市场监督管理局", "电子证照专用章", 500); err != nil {
			b.Fatal(err)
		}
	}
}
