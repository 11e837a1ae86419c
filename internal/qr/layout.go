package qr

import (
	"encoding/binary"
	"sync"
)

// A symbol of n×n modules is kept for scoring as its 2n lines, the n
// columns and the n rows, each a bit set of n modules (dark = 1), side by
// side: line L is lane L, 64 lanes a word, so that a penalty rule
// (penalty.go) looks at 64 lines at once. The n lines' words of one lane
// word w follow each other, position j (the module's place along its line)
// at l.at(w, j):
//
//	lane x, position y:     module (x, y), column x   (lanes 0 to n-1)
//	lane n+y, position x:   module (x, y), row y      (lanes n to 2n-1)
//
// so each module is in two lanes. Each lane word's n positions have pad
// zero (light) words before and after them, so that a pattern may look a
// few modules past either edge, where the quiet zone is light. Lanes from
// 2n on are always 0.
type layout struct {
	n      int // modules a side
	words  int // lane words: (2n+63)/64
	stride int // n + 2*pad
}

const pad = 8

func layoutOf(n int) layout { return layout{n: n, words: (2*n + 63) / 64, stride: n + 2*pad} }

// at is the index of lane word w at position j.
func (l layout) at(w, j int) int { return w*l.stride + pad + j }

// size is the length of a symbol's lines.
func (l layout) size() int { return l.words * l.stride }

// bitsets makes the lines of the n×n modules mod (y*n+x).
func bitsets(l layout, mod []bool) []uint64 {
	p := make([]uint64, l.size())
	for y := range l.n {
		for x, dark := range mod[y*l.n : (y+1)*l.n] {
			if dark {
				p[l.at(x>>6, y)] |= 1 << uint(x&63)
				p[l.at((l.n+y)>>6, x)] |= 1 << uint((l.n+y)&63)
			}
		}
	}
	return p
}

// row writes row y's modules, from lanes 0 to n-1 at position y, into dst
// (len n).
func (l layout) row(p []uint64, y int, dst []bool) {
	for w := 0; w*64 < len(dst); w++ {
		unpack(p[l.at(w, y)], dst[w*64:min(w*64+64, len(dst))])
	}
}

// unpack writes word's bits into dst (at most 64), bit 0 first.
func unpack(word uint64, dst []bool) {
	for x := range dst {
		dst[x] = word>>(uint(x)&63)&1 != 0
	}
}

// xor sets dst to a XOR b.
func xor(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] ^ b[i]
	}
}

// version is what every code of one version shares, made once: the
// function patterns, where the data bits go, and what each mask changes.
type version struct {
	l layout
	// The function patterns, with mask 0's format information; data
	// modules light.
	fn []uint64
	// How many data modules there are.
	data int
	// Which codeword bit each module holds, row by row (bitAt[y*n+x]) and
	// column by column (bitAtT[x*n+y]): the bits fill the data modules
	// (ISO/IEC 18004 §7.7.3) in two-module-wide columns from the right, up
	// and down in turn, skipping the vertical timing pattern. Function
	// modules have data, the index of a bit that is always 0.
	bitAt, bitAtT []uint16
	// flip[m] is the modules that mask m inverts: the data modules where
	// its condition holds, and the format modules where mask m's format
	// information differs from mask 0's. So the masked symbol is the
	// unmasked one XOR flip[m].
	flip [8][]uint64
}

var versions [41]struct {
	once sync.Once
	v    version
}

func versionOf(ver int) *version {
	e := &versions[ver]
	e.once.Do(func() { e.v = makeVersion(ver) })
	return &e.v
}

func makeVersion(ver int) version {
	n := ver*4 + 17
	l := layoutOf(n)
	c := &code{size: n, mod: make([]bool, n*n), fn: make([]bool, n*n)}
	c.drawFunctions(ver)
	v := version{l: l, fn: bitsets(l, c.mod), bitAt: make([]uint16, n*n), bitAtT: make([]uint16, n*n)}

	var order []int // data modules, y*n+x, in filling order
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range n {
			for j := range 2 {
				x, y := right-j, vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if !c.fn[y*n+x] {
					order = append(order, y*n+x)
				}
			}
		}
	}
	v.data = len(order)
	for i := range v.bitAt {
		v.bitAt[i] = uint16(v.data)
	}
	for i, m := range order {
		v.bitAt[m] = uint16(i)
	}
	for y := range n {
		for x := range n {
			v.bitAtT[x*n+y] = v.bitAt[y*n+x]
		}
	}

	flip := make([]bool, n*n)
	for mask := range 8 {
		for y := range n {
			for x := range n {
				flip[y*n+x] = !c.fn[y*n+x] && maskInverts(mask, x, y)
			}
		}
		formatModules(n, mask, func(x, y int, dark bool) {
			flip[y*n+x] = dark != c.mod[y*n+x]
		})
		v.flip[mask] = bitsets(l, flip)
	}
	return v
}

// maskInverts tells whether mask inverts the (data) module at x, y
// (ISO/IEC 18004 table 10, j = x, i = y).
func maskInverts(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// spread[b] is byte b's bits, one a byte, the first (most significant)
// in the lowest byte.
var spread = func() (t [256]uint64) {
	for b := range 256 {
		for k := range 8 {
			t[b] |= uint64(b>>(7-k)&1) << (8 * k)
		}
	}
	return t
}()

// place writes into p the unmasked symbol of the codewords all: the
// function patterns and all's bits in the data modules (any left over,
// the remainder bits, light). bits is scratch space (indexed by a
// uint16, so without bounds checks).
func (v *version) place(p []uint64, all []byte, bits *[1 << 16]byte) {
	l := v.l
	n := l.n
	// The codewords' bits one a byte, then zeros.
	for i, b := range all {
		binary.LittleEndian.PutUint64(bits[8*i:], spread[b])
	}
	clear(bits[8*len(all) : v.data+1])
	copy(p, v.fn)
	for j := range n {
		l.pack(p, j, 0, v.bitAt[j*n:(j+1)*n], bits)  // column lanes at y = j: row j
		l.pack(p, j, n, v.bitAtT[j*n:(j+1)*n], bits) // row lanes at x = j: column j
	}
}

// pack ORs into p at position j the bits[idx[k]], each into lane lane+k.
func (l layout) pack(p []uint64, j, lane int, idx []uint16, bits *[1 << 16]byte) {
	for len(idx) > 0 {
		b := lane & 63
		k := min(64-b, len(idx))
		p[l.at(lane>>6, j)] |= gather(idx[:k], bits) << uint(b)
		idx, lane = idx[k:], lane+k
	}
}

// gather is the word of the bits[idx[i]] (at most 64), the first in bit 0.
// (Not inlined: in a loop of its own its word stays in a register.)
//
//go:noinline
func gather(idx []uint16, bits *[1 << 16]byte) uint64 {
	var word uint64
	for i, at := range idx {
		word |= uint64(bits[at]) << (uint(i) & 63)
	}
	return word
}

// code is a symbol drawn module by module, for making a version's
// function patterns.
type code struct {
	size int
	mod  []bool // y*size+x, true = dark
	fn   []bool // function modules (not data, not masked)
}

func (c *code) set(x, y int, dark bool) {
	c.mod[y*c.size+x] = dark
	c.fn[y*c.size+x] = true
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
	formatModules(n, 0, c.set) // reserves the format areas
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
