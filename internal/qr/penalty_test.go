package qr

import (
	"math/rand/v2"
	"testing"
)

// refPenalty is the penalty of ISO/IEC 18004 §7.8.3.1 module by module,
// the plain way (the encoder's first version): penalty must agree.
func refPenalty(n int, mod []bool) int {
	countFinder := func(h *[7]int) int {
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
	line := func(get func(i int) bool) int {
		res, color, run := 0, false, 0
		var h [7]int
		add := func(run int) {
			if h[0] == 0 {
				run += n
			}
			h[6], h[5], h[4], h[3], h[2], h[1], h[0] = h[5], h[4], h[3], h[2], h[1], h[0], run
		}
		for i := range n {
			v := get(i)
			if v == color {
				run++
				if run == 5 {
					res += 3
				} else if run > 5 {
					res++
				}
				continue
			}
			add(run)
			if !color {
				res += countFinder(&h) * 40
			}
			color, run = v, 1
		}
		if color {
			add(run)
			run = 0
		}
		add(run + n)
		return res + countFinder(&h)*40
	}
	res := 0
	for y := range n {
		res += line(func(i int) bool { return mod[y*n+i] })
		res += line(func(i int) bool { return mod[i*n+y] })
	}
	dark := 0
	for y := range n {
		for x := range n {
			if mod[y*n+x] {
				dark++
			}
			if x < n-1 && y < n-1 {
				v := mod[y*n+x]
				if v == mod[y*n+x+1] && v == mod[(y+1)*n+x] && v == mod[(y+1)*n+x+1] {
					res += 3
				}
			}
		}
	}
	total := n * n
	return res + ((abs(dark*20-total*10)+total-1)/total-1)*10
}

func penaltyOf(n int, mod []bool) int {
	l := layoutOf(n)
	return penalty(l, bitsets(l, mod))
}

// unmasked is text's version and symbol before masking.
func unmasked(text string) (*version, []uint64, error) {
	ver, err := versionFor(text)
	if err != nil {
		return nil, nil, err
	}
	v := versionOf(ver)
	cw := make([]byte, dataCodewords(ver))
	codewords(cw, text, ver)
	all := interleave(make([]byte, rawDataModules(ver)/8+numBlocks[ver]*eccPerBlock[ver]), cw, ver)
	base := make([]uint64, v.l.size())
	v.place(base, all, new([1 << 16]byte))
	return v, base, nil
}

func TestPenaltyAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{21, 25, 33, 61, 63, 65, 69, 81, 125, 129, 133, 177} {
		for trial := range 40 {
			mod := make([]bool, size*size)
			density := []float64{0.5, 0.1, 0.9, 0.3}[trial%4]
			for i := range mod {
				mod[i] = rng.Float64() < density
			}
			if trial%5 == 0 { // long runs and finder-like lines
				for x := range size {
					mod[x] = x%7 != 1 && x%7 != 5
				}
			}
			// Finder-like patterns of every scale, in rows and columns, at
			// the edges and inside, with light runs of about k and 4k
			// beside them.
			for range 1 + trial%8 {
				k := 1 + rng.IntN(min(6, size/7))
				runs := []int{k, k, 3 * k, k, k}
				at := rng.IntN(size - 7*k + 1)
				switch rng.IntN(4) {
				case 0:
					at = 0
				case 1:
					at = size - 7*k
				}
				line, col := rng.IntN(size), rng.IntN(2) == 0
				set := func(i int, dark bool) {
					if i < 0 || i >= size {
						return
					}
					if col {
						mod[i*size+line] = dark
					} else {
						mod[line*size+i] = dark
					}
				}
				i := at
				for r, run := range runs {
					for range run {
						set(i, r%2 == 0)
						i++
					}
				}
				// Light on each side for k-1 .. 4k+1 modules, then dark.
				for _, side := range []int{-1, 1} {
					light := k - 1 + rng.IntN(3*k+3)
					from := at - 1
					if side == 1 {
						from = at + 7*k
					}
					for j := range light {
						set(from+side*j, false)
					}
					set(from+side*light, true)
				}
			}
			if got, want := penaltyOf(size, mod), refPenalty(size, mod); got != want {
				t.Fatalf("size %d trial %d: penalty %d, want %d", size, trial, got, want)
			}
		}
	}
	// And on real symbols, every mask.
	for _, text := range []string{"hello", "https://zwfw.example.gov.cn/verify?p=YWL1.abc", string(make([]byte, 900)), string(make([]byte, 2000))} {
		v, base, err := unmasked(text)
		if err != nil {
			t.Fatal(err)
		}
		for mask := range 8 {
			mod := masked(v, base, mask)
			if got, want := penaltyOf(v.l.n, mod), refPenalty(v.l.n, mod); got != want {
				t.Fatalf("%d bytes, mask %d: %d, want %d", len(text), mask, got, want)
			}
		}
	}
}

// masked is the modules of base under mask.
func masked(v *version, base []uint64, mask int) []bool {
	l := v.l
	lines := make([]uint64, l.size())
	xor(lines, base, v.flip[mask])
	mod := make([]bool, l.n*l.n)
	for y := range l.n {
		l.row(lines, y, mod[y*l.n:(y+1)*l.n])
	}
	// The row lanes must hold the same modules.
	for y := range l.n {
		for x := range l.n {
			if lines[l.at((l.n+y)>>6, x)]>>uint((l.n+y)&63)&1 != 0 != mod[y*l.n+x] {
				panic("rows and columns disagree")
			}
		}
	}
	return mod
}

// TestChosenMask: the encoder's mask (read back from the format bits) is
// the first of lowest penalty by the plain computation.
func TestChosenMask(t *testing.T) {
	for _, text := range []string{"hello", "https://zwfw.example.gov.cn/verify?p=YWL1.MIIBxjCCAW", string(make([]byte, 300)), string(make([]byte, 1500))} {
		m, err := Matrix(text)
		if err != nil {
			t.Fatal(err)
		}
		n := len(m)
		chosen := -1
		for mask := range 8 {
			same := true
			formatModules(n, mask, func(x, y int, dark bool) { same = same && m[y][x] == dark })
			if same {
				chosen = mask
			}
		}
		v, base, err := unmasked(text)
		if err != nil {
			t.Fatal(err)
		}
		best, bestPen := -1, -1
		for mask := range 8 {
			mod := masked(v, base, mask)
			if mask == chosen {
				for y := range n {
					for x := range n {
						if mod[y*n+x] != m[y][x] {
							t.Fatalf("%d bytes: Matrix differs from mask %d at %d,%d", len(text), mask, x, y)
						}
					}
				}
			}
			if p := refPenalty(n, mod); bestPen < 0 || p < bestPen {
				best, bestPen = mask, p
			}
		}
		if chosen != best {
			t.Fatalf("%d bytes: mask %d chosen, %d has the lowest penalty", len(text), chosen, best)
		}
	}
}
