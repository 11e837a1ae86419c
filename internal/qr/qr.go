// Package qr makes QR codes (ISO/IEC 18004) for the verification link on
// electronic licences: as a PNG, or as a module matrix so that a PDF can
// draw each dark module as a vector square, crisp at any print size.
//
// Error correction is level M (about 15 % of the codewords can be lost: a
// fold or a stain on a printed licence), the text is encoded in byte mode
// as its UTF-8 bytes (no ECI header, as readers expect), and the mask is
// the one of lowest penalty (ISO/IEC 18004 §7.8.3).
//
// The encoder is this package's own (it follows Project Nayuki's
// reference design) rather than a library: boombuler/barcode takes 12.7 ms
// for a 430-byte text on this machine, skip2/go-qrcode (unmaintained since
// 2020) 3.6 ms, yeqown/go-qrcode/v2 2.2 ms with 3.4 ms of CPU over eight
// goroutines; a licence must be issued in well under 5 ms, and this
// encoder takes about 0.04 ms for a 380-character licence payload (0.4 ms
// before the penalty was counted 64 lines at a time): each version's
// function patterns, data module order and mask patterns are made once
// (layout.go), and the eight masks' penalties are counted on bit sets, 64
// rows or columns at a time (penalty.go). Every size is decoded back by an
// independent decoder (ZXing's port, gozxing) in the tests, and
// testdata/golden.txt holds the exact output for 263 texts.
package qr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"
)

// QuietZone is the white margin, in modules, that PNG puts around the code
// and that a caller drawing Matrix must leave free (ISO/IEC 18004: 4).
const QuietZone = 4

// MaxBytes is the longest text (in UTF-8 bytes) a QR code holds at level M
// in byte mode (version 40).
const MaxBytes = 2331

// ErrEmpty is returned for an empty text.
var ErrEmpty = errors.New("qr: empty text")

// ErrTooLong is returned when the text does not fit in a version 40 code
// at level M.
var ErrTooLong = errors.New("qr: text too long for a QR code")

// Level M tables, index = version (ISO/IEC 18004 table 9).
var (
	eccPerBlock = [41]int{-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28}
	numBlocks   = [41]int{-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49}
)

const formatBitsM = 0 // level M's two format bits

// Matrix returns the modules of the QR code for text, row by row
// (m[y][x], true = dark), without the quiet zone.
func Matrix(text string) ([][]bool, error) {
	s, err := encode(text)
	if err != nil {
		return nil, err
	}
	defer s.release()
	n := s.l.n
	mod := make([]bool, n*n)
	m := make([][]bool, n)
	for y := range n {
		row := mod[y*n : (y+1)*n : (y+1)*n]
		s.l.row(s.lines, y, row)
		m[y] = row
	}
	return m, nil
}

// PNG returns the QR code for text as a black-on-white PNG size pixels
// wide. Modules are whole, equal squares of size/(matrix+8) pixels, centred,
// so the white margin is the 4-module quiet zone plus what is left over;
// size must allow at least one pixel a module.
func PNG(text string, size int) ([]byte, error) {
	s, err := encode(text)
	if err != nil {
		return nil, err
	}
	defer s.release()
	ms := s.l.n
	n := ms + 2*QuietZone
	scale := size / max(n, 1)
	if scale < 1 || size > 8192 {
		return nil, fmt.Errorf("qr: size %d px does not fit the %d modules of this code (1 to 8192 px a side)", size, n)
	}
	off := (size - scale*ms) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	mods := make([]bool, ms)
	for my := range ms {
		// The module row's first pixel row, then copies of it.
		s.l.row(s.lines, my, mods)
		py := off + my*scale
		first := img.Pix[py*img.Stride+off : py*img.Stride+off+scale*ms]
		for mx, dark := range mods {
			if dark {
				px := first[mx*scale : (mx+1)*scale]
				for i := range px {
					px[i] = 1
				}
			}
		}
		for py++; py < off+(my+1)*scale; py++ {
			copy(img.Pix[py*img.Stride+off:], first)
		}
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pngEncoder reuses its compressor between codes (the same output as
// png.Encode, without allocating a deflater each time).
var pngEncoder = png.Encoder{BufferPool: &pngBuffers{}}

type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	e, _ := b.p.Get().(*png.EncoderBuffer)
	return e
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// symbol is a finished code, its lines (layout.go) in scratch space that
// release gives back.
type symbol struct {
	l     layout
	lines []uint64
	sc    *scratch
}

func (s symbol) release() { scratches.Put(s.sc) }

// scratch is an encoding's working memory, reused.
type scratch struct {
	lines []uint64       // the unmasked symbol, then the masked one
	bytes []byte         // data codewords, all codewords
	bits  *[1 << 16]byte // the codewords' bits, one a byte
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func rawDataModules(ver int) int {
	r := (16*ver+128)*ver + 64
	if ver >= 2 {
		na := ver/7 + 2
		r -= (25*na-10)*na - 55
		if ver >= 7 {
			r -= 36
		}
	}
	return r
}

func dataCodewords(ver int) int {
	return rawDataModules(ver)/8 - eccPerBlock[ver]*numBlocks[ver]
}

// encode makes the code for text: the smallest version that holds it, and
// of the eight masks the first of lowest penalty.
func encode(text string) (symbol, error) {
	ver, err := versionFor(text)
	if err != nil {
		return symbol{}, err
	}
	v := versionOf(ver)
	l := v.l
	sc := scratches.Get().(*scratch)
	sc.lines = grow(sc.lines, 2*l.size())
	base, cur := sc.lines[:l.size()], sc.lines[l.size():]
	raw := rawDataModules(ver) / 8
	sc.bytes = grow(sc.bytes, dataCodewords(ver)+raw+eccPerBlock[ver]*numBlocks[ver])
	cw, all := sc.bytes[:dataCodewords(ver)], sc.bytes[dataCodewords(ver):]
	codewords(cw, text, ver)
	if sc.bits == nil {
		sc.bits = new([1 << 16]byte)
	}
	v.place(base, interleave(all, cw, ver), sc.bits)

	best, bestPen := 0, -1
	for mask := range 8 {
		xor(cur, base, v.flip[mask])
		if p := penalty(l, cur); bestPen < 0 || p < bestPen {
			best, bestPen = mask, p
		}
	}
	xor(cur, base, v.flip[best])
	return symbol{l: l, lines: cur, sc: sc}, nil
}

// versionFor is the smallest version that holds text at level M in byte
// mode.
func versionFor(text string) (int, error) {
	if len(text) == 0 {
		return 0, ErrEmpty
	}
	for v := 1; v <= 40; v++ {
		cc := 8
		if v >= 10 {
			cc = 16
		}
		if 4+cc+8*len(text) <= 8*dataCodewords(v) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w (%d bytes, at most %d)", ErrTooLong, len(text), MaxBytes)
}

// codewords writes text's data codewords for version ver into cw
// (dataCodewords(ver) bytes): mode 0100, count, bytes, terminator,
// padding.
func codewords(cw []byte, text string, ver int) {
	capBytes := len(cw)
	cw = cw[:0]
	var acc uint32
	var nacc uint
	put := func(v uint32, n uint) { // n <= 16
		acc = acc<<n | v&(1<<n-1)
		for nacc += n; nacc >= 8; {
			nacc -= 8
			cw = append(cw, byte(acc>>nacc))
		}
	}
	put(4, 4)
	if ver < 10 {
		put(uint32(len(text)), 8)
	} else {
		put(uint32(len(text)), 16)
	}
	for i := range len(text) {
		put(uint32(text[i]), 8)
	}
	if room := capBytes*8 - (len(cw)*8 + int(nacc)); room > 0 {
		put(0, uint(min(4, room)))
	}
	if nacc > 0 {
		put(0, 8-nacc)
	}
	for pad := byte(0xEC); len(cw) < capBytes; pad ^= 0xEC ^ 0x11 {
		cw = append(cw, pad)
	}
}

// interleave splits the data into blocks, appends each block's
// Reed–Solomon codewords and interleaves them (ISO/IEC 18004 §7.6) into
// out (raw + ecc bytes, the last ecc scratch): the blocks' data codewords
// column by column (the long blocks' last one after the rest), then their
// error correction codewords.
func interleave(out, data []byte, ver int) []byte {
	nb, ecc := numBlocks[ver], eccPerBlock[ver]
	raw := rawDataModules(ver) / 8
	nShort := nb - raw%nb
	short := raw/nb - ecc // a short block's data codewords; a long block has one more
	start := func(j int) int { return j*short + max(0, j-nShort) }
	out, rem := out[:raw], out[raw:raw+nb*ecc] // out: raw + nb*ecc bytes
	mul := rsTable(ecc)
	for j := range nb {
		n := short
		if j >= nShort {
			n++
		}
		rsRemainder(rem[j*ecc:(j+1)*ecc], data[start(j):start(j)+n], mul)
	}
	o := 0
	for i := range short {
		for j := range nb {
			out[o] = data[start(j)+i]
			o++
		}
	}
	for j := nShort; j < nb; j++ {
		out[o] = data[start(j)+short]
		o++
	}
	for i := range ecc {
		for j := range nb {
			out[o] = rem[j*ecc+i]
			o++
		}
	}
	return out
}

func gfMul(x, y byte) byte {
	var z byte
	for i := 7; i >= 0; i-- {
		z = z<<1 ^ (z>>7)*0x1D
		z ^= (y >> uint(i) & 1) * x
	}
	return z
}

func rsDivisor(degree int) []byte {
	r := make([]byte, degree)
	r[degree-1] = 1
	root := byte(1)
	for range degree {
		for j := range r {
			r[j] = gfMul(r[j], root)
			if j+1 < len(r) {
				r[j] ^= r[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return r
}

// rsTables[d] is, for the divisor of degree d (at most 30), the product
// of each of its coefficients with every byte f, 32 bytes for each f:
// mul[f*32+i] = gfMul(div[i], f), zero from d on. Made once.
var rsTables [31]struct {
	once sync.Once
	mul  []byte
}

func rsTable(degree int) []byte {
	t := &rsTables[degree]
	t.once.Do(func() {
		div := rsDivisor(degree)
		t.mul = make([]byte, 256*32)
		for f := range 256 {
			for i, d := range div {
				t.mul[f*32+i] = gfMul(d, byte(f))
			}
		}
	})
	return t.mul
}

// rsRemainder writes into r the remainder of data divided by the divisor
// of degree len(r) whose products are mul (rsTable(len(r))): for each
// byte, the remainder moves up a byte and the products of its first byte
// XOR the next data byte are added, 8 bytes at a time.
func rsRemainder(r, data, mul []byte) {
	var reg [40]byte // the remainder, zero from len(r) on
	for _, b := range data {
		f := int(b ^ reg[0])
		m := mul[f*32 : f*32+32]
		for i := 0; i < 32; i += 8 {
			binary.LittleEndian.PutUint64(reg[i:], binary.LittleEndian.Uint64(reg[i+1:])^binary.LittleEndian.Uint64(m[i:]))
		}
	}
	copy(r, reg[:len(r)])
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
