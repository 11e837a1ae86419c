package pdf

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"sync"
)

// An alpha PNG would have to be inflated and split into an image and a
// soft mask (gopdf: 13 ms for a 400-pixel seal, on every licence). A
// palette PNG whose transparent pixels are one palette entry (colour-key
// masking) is embedded as it is. sealImage converts the seal once per
// picture: pixels at least half opaque keep their colour laid on
// white, the others become the transparent entry. At 42 mm the seal has
// about 240 pixels an inch, so the hard edge is not seen in print.

var sealCache = struct {
	sync.Mutex
	m map[[32]byte]*pdfImage
}{m: map[[32]byte]*pdfImage{}}

// sealImage is the seal picture as Licence embeds it, converted and
// parsed once per picture.
func sealImage(b []byte) (*pdfImage, error) {
	key := sha256.Sum256(b)
	sealCache.Lock()
	out, ok := sealCache.m[key]
	sealCache.Unlock()
	if ok {
		return out, nil
	}
	pal, err := toPaletted(b)
	if err != nil {
		return nil, err
	}
	if out, err = parsePalettePNG(pal); err != nil {
		return nil, err
	}
	sealCache.Lock()
	if len(sealCache.m) >= 256 { // issuers' seals: a few; bound it anyway
		clear(sealCache.m)
	}
	sealCache.m[key] = out
	sealCache.Unlock()
	return out, nil
}

func toPaletted(b []byte) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	bd := src.Bounds()
	// Colours laid on white; dropping low bits until they fit a palette.
	for shift := uint(0); shift <= 8; shift++ {
		pal := color.Palette{color.NRGBA{255, 255, 255, 0}}
		idx := map[color.NRGBA]uint8{}
		dst := image.NewPaletted(image.Rect(0, 0, bd.Dx(), bd.Dy()), nil)
		full := false
	pixels:
		for y := bd.Min.Y; y < bd.Max.Y; y++ {
			for x := bd.Min.X; x < bd.Max.X; x++ {
				r, g, bl, a := src.At(x, y).RGBA() // premultiplied, 16 bits
				if a < 0x8000 {
					continue // index 0
				}
				w := 0xFFFF - a
				c := color.NRGBA{
					uint8(((r + w) >> 8) >> shift << shift),
					uint8(((g + w) >> 8) >> shift << shift),
					uint8(((bl + w) >> 8) >> shift << shift), 255}
				i, ok := idx[c]
				if !ok {
					if len(pal) == 256 {
						full = true
						break pixels
					}
					i = uint8(len(pal))
					idx[c] = i
					pal = append(pal, c)
				}
				dst.Pix[(y-bd.Min.Y)*dst.Stride+x-bd.Min.X] = i
			}
		}
		if full {
			continue
		}
		dst.Palette = pal
		var buf bytes.Buffer
		if err := png.Encode(&buf, dst); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	panic("unreachable: 8-bit shift leaves one colour")
}
