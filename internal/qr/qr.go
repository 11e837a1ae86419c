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
// encoder takes about 0.43 ms (the mask patterns of each version are made
// once, and the penalties are counted on bit sets). Every size is decoded back by an independent
// decoder (ZXing's port, gozxing) in the tests.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/bits"
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
	c, err := encode([]byte(text))
	if err != nil {
		return nil, err
	}
	m := make([][]bool, c.size)
	for y := range c.size {
		m[y] = c.mod[y*c.size : (y+1)*c.size : (y+1)*c.size]
	}
	return m, nil
}

// PNG returns the QR code for text as a black-on-white PNG size pixels
// wide. Modules are whole, equal squares of size/(matrix+8) pixels, centred,
// so the white margin is the 4-module quiet zone plus what is left over;
// size must allow at least one pixel a module.
func PNG(text string, size int) ([]byte, error) {
	c, err := encode([]byte(text))
	if err != nil {
		return nil, err
	}
	n := c.size + 2*QuietZone
	scale := size / max(n, 1)
	if scale < 1 || size > 8192 {
		return nil, fmt.Errorf("qr: size %d px does not fit the %d modules of this code (1 to 8192 px a side)", size, n)
	}
	off := (size - scale*c.size) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for my := range c.size {
		for mx := range c.size {
			if !c.mod[my*c.size+mx] {
				continue
			}
			for py := off + my*scale; py < off+(my+1)*scale; py++ {
				row := img.Pix[py*img.Stride+off+mx*scale:]
				for i := range scale {
					row[i] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type code struct {
	size int
	mod  []bool   // y*size+x, true = dark
	fn   []bool   // function modules (not data, not masked)
	rows []uint64 // a masked symbol's rows as bit sets (bitSets), for penalty
	cols []uint64 // and its columns
}

func (c *code) set(x, y int, dark bool) {
	c.mod[y*c.size+x] = dark
	c.fn[y*c.size+x] = true
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

func encode(data []byte) (*code, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	ver := 0
	for v := 1; v <= 40; v++ {
		cc := 8
		if v >= 10 {
			cc = 16
		}
		if 4+cc+8*len(data) <= 8*dataCodewords(v) {
			ver = v
			break
		}
	}
	if ver == 0 {
		return nil, fmt.Errorf("%w (%d bytes, at most %d)", ErrTooLong, len(data), MaxBytes)
	}

	// Data codewords: mode 0100, count, bytes, terminator, padding.
	capBytes := dataCodewords(ver)
	cw := make([]byte, 0, rawDataModules(ver)/8)
	var acc uint32
	var nacc uint
	put := func(v uint32, n uint) {
		for i := int(n) - 1; i >= 0; i-- {
			acc = acc<<1 | (v>>uint(i))&1
			nacc++
			if nacc == 8 {
				cw = append(cw, byte(acc))
				acc, nacc = 0, 0
			}
		}
	}
	put(4, 4)
	if ver < 10 {
		put(uint32(len(data)), 8)
	} else {
		put(uint32(len(data)), 16)
	}
	for _, b := range data {
		put(uint32(b), 8)
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

	all := interleave(cw, ver)

	size := ver*4 + 17
	words := (size + 63) / 64
	c := &code{size: size, mod: make([]bool, size*size), fn: make([]bool, size*size),
		rows: make([]uint64, size*words), cols: make([]uint64, size*words)}
	c.drawFunctions(ver)
	c.drawCodewords(all)

	// Each mask's symbol as bit sets: the unmasked rows and columns XOR
	// the mask's (computed once per version), then its format modules.
	base := c.bitsets(c.mod)
	flips := flipsFor(ver, size, c.fn)
	best, bestPen := 0, -1
	for mask := range 8 {
		for i, w := range base.rows {
			c.rows[i] = w ^ flips.rows[mask][i]
		}
		for i, w := range base.cols {
			c.cols[i] = w ^ flips.cols[mask][i]
		}
		formatModules(size, mask, c.setBit)
		if p := c.penalty(); bestPen < 0 || p < bestPen {
			best, bestPen = mask, p
		}
	}
	c.applyMask(best)
	c.drawFormat(best)
	return c, nil
}

// interleave splits the data into blocks, appends each block's
// Reed–Solomon codewords and interleaves them (ISO/IEC 18004 §7.6).
func interleave(data []byte, ver int) []byte {
	nb, ecc := numBlocks[ver], eccPerBlock[ver]
	raw := rawDataModules(ver) / 8
	nShort := nb - raw%nb
	shortLen := raw / nb
	div := rsDivisor(ecc)
	blocks := make([][]byte, nb)
	k := 0
	for i := range nb {
		n := shortLen - ecc
		if i >= nShort {
			n++
		}
		blk := make([]byte, 0, shortLen+1)
		blk = append(blk, data[k:k+n]...)
		k += n
		rem := rsRemainder(blk, div)
		if i < nShort {
			blk = append(blk, 0)
		}
		blocks[i] = append(blk, rem...)
	}
	out := make([]byte, 0, raw)
	for i := range blocks[0] {
		for j, blk := range blocks {
			if i != shortLen-ecc || j >= nShort {
				out = append(out, blk[i])
			}
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

func rsRemainder(data, div []byte) []byte {
	r := make([]byte, len(div))
	for _, b := range data {
		f := b ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i, d := range div {
			r[i] ^= gfMul(d, f)
		}
	}
	return r
}

func (c *code) drawFunctions(ver int) {
	n := c.size
	for i := range n {
		c.set(6, i, i%2 == 0)
		c.set(i, 6, i%2 == 0)
	}
	c.finder(3, 3)
	c.finder(n-4, 3)
	c.finder(3, n-4)
	if ver >= 2 {
		na := ver/7 + 2
		step := (ver*8 + na*3 + 5) / (na*4 - 4) * 2
		pos := make([]int, na)
		pos[0] = 6
		for i, p := na-1, n-7; i >= 1; i, p = i-1, p-step {
			pos[i] = p
		}
		for i := range na {
			for j := range na {
				if i == 0 && j == 0 || i == 0 && j == na-1 || i == na-1 && j == 0 {
					continue
				}
				for dy := -2; dy <= 2; dy++ {
					for dx := -2; dx <= 2; dx++ {
						c.set(pos[i]+dx, pos[j]+dy, max(abs(dx), abs(dy)) != 1)
					}
				}
			}
		}
	}
	c.drawFormat(0) // reserves the format areas
	if ver >= 7 {
		rem := ver
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := ver<<12 | rem
		for i := range 18 {
			dark := bits>>uint(i)&1 != 0
			a, b := n-11+i%3, i/3
			c.set(a, b, dark)
			c.set(b, a, dark)
		}
	}
}

func (c *code) finder(cx, cy int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			x, y := cx+dx, cy+dy
			if x < 0 || y < 0 || x >= c.size || y >= c.size {
				continue
			}
			d := max(abs(dx), abs(dy))
			c.set(x, y, d != 2 && d != 4)
		}
	}
}

func (c *code) drawFormat(mask int) { formatModules(c.size, mask, c.set) }

// formatModules calls set for each module of the format information of
// mask (both copies) and the dark module.
func formatModules(n, mask int, set func(x, y int, dark bool)) {
	data := formatBitsM<<3 | mask
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>uint(i)&1 != 0 }
	for i := 0; i <= 5; i++ {
		set(8, i, bit(i))
	}
	set(8, 7, bit(6))
	set(8, 8, bit(7))
	set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		set(14-i, 8, bit(i))
	}
	for i := range 8 {
		set(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		set(8, n-15+i, bit(i))
	}
	set(8, n-8, true) // the dark module
}

func (c *code) drawCodewords(data []byte) {
	n := c.size
	i := 0
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range n {
			for j := range 2 {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if !c.fn[y*n+x] && i < len(data)*8 {
					c.mod[y*n+x] = data[i>>3]>>(7-uint(i&7))&1 != 0
					i++
				}
			}
		}
	}
}

// maskFlips is, for one version, which modules each mask inverts (the
// data modules where the mask's condition holds), computed once: as
// modules and as row and column bit sets.
var maskFlips [41]struct {
	once sync.Once
	f    flips
}

type flips struct {
	m          [8][]bool
	rows, cols [8][]uint64
}

// bitSets is a symbol's rows and columns, each words uint64s, bit x of a
// row (y of a column) for the module at x (y).
type bitSets struct{ rows, cols []uint64 }

func (c *code) words() int { return (c.size + 63) / 64 }

func (c *code) bitsets(mod []bool) bitSets {
	n, w := c.size, c.words()
	b := bitSets{rows: make([]uint64, n*w), cols: make([]uint64, n*w)}
	for y := range n {
		for x, v := range mod[y*n : (y+1)*n] {
			if v {
				b.rows[y*w+x>>6] |= 1 << uint(x&63)
				b.cols[x*w+y>>6] |= 1 << uint(y&63)
			}
		}
	}
	return b
}

// setBit sets one module in c.rows and c.cols.
func (c *code) setBit(x, y int, dark bool) {
	w := c.words()
	r, col := &c.rows[y*w+x>>6], &c.cols[x*w+y>>6]
	if dark {
		*r |= 1 << uint(x&63)
		*col |= 1 << uint(y&63)
	} else {
		*r &^= 1 << uint(x&63)
		*col &^= 1 << uint(y&63)
	}
}

func flipsFor(ver, n int, fn []bool) *flips {
	f := &maskFlips[ver]
	f.once.Do(func() {
		c := &code{size: n}
		for mask := range 8 {
			m := make([]bool, n*n)
			for y := range n {
				for x := range n {
					var inv bool
					switch mask {
					case 0:
						inv = (x+y)%2 == 0
					case 1:
						inv = y%2 == 0
					case 2:
						inv = x%3 == 0
					case 3:
						inv = (x+y)%3 == 0
					case 4:
						inv = (x/3+y/2)%2 == 0
					case 5:
						inv = x*y%2+x*y%3 == 0
					case 6:
						inv = (x*y%2+x*y%3)%2 == 0
					case 7:
						inv = ((x+y)%2+x*y%3)%2 == 0
					}
					m[y*n+x] = inv && !fn[y*n+x]
				}
			}
			f.f.m[mask] = m
			b := c.bitsets(m)
			f.f.rows[mask], f.f.cols[mask] = b.rows, b.cols
		}
	})
	return &f.f
}

// applyMask inverts the modules of mask (twice undoes it).
func (c *code) applyMask(mask int) {
	flips := flipsFor((c.size-17)/4, c.size, c.fn).m[mask]
	mod := c.mod[:len(flips)]
	for i, f := range flips {
		mod[i] = mod[i] != f
	}
}

// penalty scores the symbol in c.rows and c.cols (ISO/IEC 18004
// §7.8.3.1), as bit sets: dark modules and 2×2 blocks are counted a word
// at a time, runs found with TrailingZeros.
func (c *code) penalty() int {
	const n2, n4 = 3, 10
	n := c.size
	words := c.words()
	res := 0
	for y := range n {
		res += c.linePenalty(c.rows[y*words : (y+1)*words])
		res += c.linePenalty(c.cols[y*words : (y+1)*words])
	}
	// Rule 2: 2×2 blocks of one colour; rule 4: the dark proportion.
	dark := 0
	last := uint64(1)<<uint((n-1)&63) - 1 // the last word's modules x <= n-2 (none when n-1 is a multiple of 64)
	for y := range n {
		r := c.rows[y*words : (y+1)*words]
		for _, w := range r {
			dark += bits.OnesCount64(w)
		}
		if y == n-1 {
			break
		}
		nx := c.rows[(y+1)*words : (y+2)*words]
		for i := range words {
			// Bit x of a word holds module x; x+1 is the next bit, or bit 0
			// of the next word.
			var r1, n1 uint64
			if i+1 < words {
				r1, n1 = r[i+1]<<63, nx[i+1]<<63
			}
			rs, ns := r[i]>>1|r1, nx[i]>>1|n1
			same := ^(r[i] ^ rs) & ^(nx[i] ^ ns) & ^(r[i] ^ nx[i])
			if i == words-1 {
				same &= last
			}
			res += bits.OnesCount64(same) * n2
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	return res + k*n4
}

// runEnd is where the run of dark's colour that starts at x ends (the
// first module from x of the other colour, or n).
func runEnd(line []uint64, x, n int, dark bool) int {
	for x < n {
		w := line[x>>6] >> uint(x&63)
		if !dark {
			w = ^w
		}
		t := bits.TrailingZeros64(^w) // modules of the colour from x in this word
		if avail := 64 - x&63; t < avail {
			return min(x+t, n)
		} else {
			x += avail
		}
	}
	return n
}

// linePenalty scores one row or column, given as a bit set: runs of five
// or more (rule 1) and finder-like 1:1:3:1:1 patterns with four light
// modules beside (rule 3), the border counting as light. The runs
// alternate from a light one (empty when the line starts dark).
func (c *code) linePenalty(line []uint64) int {
	const n1, n3 = 3, 40
	n := c.size
	res := 0
	var h [7]int
	first := true
	add := func(run int) {
		if first {
			run += n // the light border before the first run
			first = false
		}
		h[6], h[5], h[4], h[3], h[2], h[1], h[0] = h[5], h[4], h[3], h[2], h[1], h[0], run
	}
	dark := false
	for x := 0; ; dark = !dark {
		e := runEnd(line, x, n, dark)
		run := e - x
		if run >= 5 {
			res += n1 + run - 5
		}
		if e >= n {
			if dark {
				add(run)
				add(n)
			} else {
				add(run + n)
			}
			break
		}
		add(run)
		if !dark {
			res += countFinder(&h) * n3
		}
		x = e
	}
	return res + countFinder(&h)*n3
}

func countFinder(h *[7]int) int {
	n := h[1]
	core := n > 0 && h[2] == n && h[3] == n*3 && h[4] == n && h[5] == n
	r := 0
	if core && h[0] >= n*4 && h[6] >= n {
		r++
	}
	if core && h[6] >= n*4 && h[0] >= n {
		r++
	}
	return r
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
