package qr

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"image/png"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decode reads a PNG back with gozxing (a port of ZXing), an independent
// decoder, and returns the text and the error correction level it found.
func decode(t *testing.T, b []byte) (string, string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	return res.GetText(), level
}

func TestRoundTrip(t *testing.T) {
	raw := make([]byte, 300)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString(raw) // 400 characters
	if len(b64) != 400 {
		t.Fatalf("len %d", len(b64))
	}
	for _, text := range []string{
		"https://zwfw.example.gov.cn/verify?id=1.2.156.3005.2.11100000000013338W.0001",
		"HELLO WORLD 123",
		"1234567890",
		b64,
		"https://zwfw.example.gov.cn/v#" + b64,
		"电子证照 食品经营许可证",
	} {
		for _, size := range []int{0, 37} { // 0: a multiple of the modules
			m, err := Matrix(text)
			if err != nil {
				t.Fatal(err)
			}
			n := len(m) + 2*QuietZone
			px := n * 4
			if size != 0 {
				px = n*3 + size // uneven modules
			}
			b, err := PNG(text, px)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width != px || cfg.Height != px {
				t.Fatalf("PNG %v %dx%d, want %d", err, cfg.Width, cfg.Height, px)
			}
			got, level := decode(t, b)
			if got != text {
				t.Fatalf("decoded %q, want %q", got, text)
			}
			if level != "M" {
				t.Fatalf("level %q, want M", level)
			}
		}
	}
}

// TestManyLengths decodes codes of random texts of every version.
func TestManyLengths(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	seen := map[int]bool{}
	for n := 1; n <= MaxBytes; n += 1 + n/12 {
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		m, err := Matrix(string(b))
		if err != nil {
			t.Fatal(n, err)
		}
		seen[(len(m)-17)/4] = true
		p, err := PNG(string(b), (len(m)+2*QuietZone)*2)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := decode(t, p); got != string(b) {
			t.Fatalf("%d bytes: decoded %q", n, got)
		}
	}
	if len(seen) < 35 {
		t.Fatalf("only %d versions tried", len(seen))
	}
}

func TestMatrixShape(t *testing.T) {
	m, err := Matrix(strings.Repeat("a", 400))
	if err != nil {
		t.Fatal(err)
	}
	n := len(m)
	if (n-17)%4 != 0 || n < 21 || n > 177 {
		t.Fatalf("size %d is not 17+4v", n)
	}
	for _, row := range m {
		if len(row) != n {
			t.Fatal("not square")
		}
	}
	// Finder patterns in three corners: a dark 7×7 ring, a light ring, a
	// dark 3×3 centre, and light separators.
	finder := func(x0, y0 int) {
		for y := -1; y <= 7; y++ {
			for x := -1; x <= 7; x++ {
				xx, yy := x0+x, y0+y
				if xx < 0 || yy < 0 || xx >= n || yy >= n {
					continue
				}
				d := max(abs(x-3), abs(y-3))
				want := d != 2 && d != 4
				if m[yy][xx] != want {
					t.Fatalf("finder at (%d,%d): module (%d,%d) = %v", x0, y0, xx, yy, m[yy][xx])
				}
			}
		}
	}
	finder(0, 0)
	finder(n-7, 0)
	finder(0, n-7)
	// The bottom-right corner has no finder pattern.
	if m[n-4][n-4] && m[n-1][n-1] && m[n-7][n-7] {
		t.Fatal("a fourth finder pattern?")
	}
}

func TestErrors(t *testing.T) {
	if _, err := Matrix(""); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := PNG("", 200); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	// Version 40-M holds 2331 bytes.
	if _, err := Matrix(strings.Repeat("a", MaxBytes)); err != nil {
		t.Fatalf("2331 bytes: %v", err)
	}
	if _, err := Matrix(strings.Repeat("a", MaxBytes+1)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("2332 bytes: %v", err)
	}
	if _, err := PNG(strings.Repeat("a", 5000), 2000); !errors.Is(err, ErrTooLong) {
		t.Fatalf("5000 bytes: %v", err)
	}
	if _, err := PNG("hello", 20); err == nil {
		t.Fatal("20 px for 29 modules accepted")
	}
}

// BenchmarkMatrix: a licence payload as the PDF's QR code holds it
// ("YWL1." and 375 characters of base64url, version 13), and the longer
// verification URL this benchmark measured before.
func BenchmarkMatrix(b *testing.B) {
	raw := make([]byte, 281)
	for i := range raw {
		raw[i] = byte(i*167 + i*i*13 + 7)
	}
	ywl1 := "YWL1." + base64.RawURLEncoding.EncodeToString(raw)
	if len(ywl1) != 380 {
		b.Fatalf("len %d", len(ywl1))
	}
	for _, bc := range []struct{ name, text string }{
		{"ywl1-380", ywl1},
		{"url-430", "https://zwfw.example.gov.cn/v#" + strings.Repeat("A1b2", 100)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Matrix(bc.text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPNG(b *testing.B) {
	text := "YWL1." + strings.Repeat("Zm9vYmFy", 47)
	for b.Loop() {
		if _, err := PNG(text, 480); err != nil {
			b.Fatal(err)
		}
	}
}
