package qr

import (
	"math/rand/v2"
	"testing"
)

// refPenalty is the penalty of ISO/IEC 18004 §7.8.3.1 module by module,
// the plain way (the encoder's first version): penalty must agree.
func refPenalty(c *code) int {
	n := c.size
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
		res += line(func(i int) bool { return c.mod[y*n+i] })
		res += line(func(i int) bool { return c.mod[i*n+y] })
	}
	dark := 0
	for y := range n {
		for x := range n {
			if c.mod[y*n+x] {
				dark++
			}
			if x < n-1 && y < n-1 {
				v := c.mod[y*n+x]
				if v == c.mod[y*n+x+1] && v == c.mod[(y+1)*n+x] && v == c.mod[(y+1)*n+x+1] {
					res += 3
				}
			}
		}
	}
	total := n * n
	return res + ((abs(dark*20-total*10)+total-1)/total-1)*10
}

func TestPenaltyAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{21, 25, 33, 61, 65, 69, 81, 129, 133, 177} {
		for trial := range 30 {
			c := &code{size: size, mod: make([]bool, size*size)}
			density := []float64{0.5, 0.1, 0.9}[trial%3]
			for i := range c.mod {
				c.mod[i] = rng.Float64() < density
			}
			if trial%5 == 0 { // long runs and finder-like lines
				for x := range size {
					c.mod[x] = x%7 != 1 && x%7 != 5
				}
			}
			b := c.bitsets(c.mod)
			c.rows, c.cols = b.rows, b.cols
			if got, want := c.penalty(), refPenalty(c); got != want {
				t.Fatalf("size %d trial %d: penalty %d, want %d", size, trial, got, want)
			}
		}
	}
	// And on real symbols, every mask; the encoder picks the lowest.
	for _, text := range []string{"hello", "https://zwfw.example.gov.cn/verify?p=YWL1.abc", string(make([]byte, 900))} {
		c, err := encode([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		for mask := range 8 {
			c.applyMask(mask)
			c.drawFormat(mask)
			b := c.bitsets(c.mod)
			c.rows, c.cols = b.rows, b.cols
			if got, want := c.penalty(), refPenalty(c); got != want {
				t.Fatalf("%d bytes, mask %d: %d, want %d", len(text), mask, got, want)
			}
			c.applyMask(mask)
		}
	}
}

// TestChosenMask: the encoder's mask (read back from the format bits) is
// the first of lowest penalty by the plain computation.
func TestChosenMask(t *testing.T) {
	for _, text := range []string{"hello", "https://zwfw.example.gov.cn/verify?p=YWL1.MIIBxjCCAW", string(make([]byte, 300)), string(make([]byte, 1500))} {
		c, err := encode([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		// The mask whose format modules the symbol carries.
		chosen := -1
		for mask := range 8 {
			same := true
			formatModules(c.size, mask, func(x, y int, dark bool) { same = same && c.mod[y*c.size+x] == dark })
			if same {
				chosen = mask
			}
		}
		best, bestPen := -1, -1
		for mask := range 8 {
			c.applyMask(chosen) // back to unmasked
			c.applyMask(mask)
			c.drawFormat(mask)
			if p := refPenalty(c); bestPen < 0 || p < bestPen {
				best, bestPen = mask, p
			}
			c.applyMask(mask)
			c.applyMask(chosen)
			c.drawFormat(chosen)
		}
		if chosen != best {
			t.Fatalf("%d bytes: mask %d chosen, %d has the lowest penalty", len(text), chosen, best)
		}
	}
}
