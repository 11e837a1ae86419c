package qr

import "math/bits"

// The mask penalty of ISO/IEC 18004 §7.8.3.1, counted as Project Nayuki's
// reference encoder does (whose choices the golden file pins down):
//
//	N1: each run of five or more modules of one colour in a row or a
//	    column scores 3 + (length − 5).
//	N2: each 2×2 block of one colour scores 3 (overlapping blocks count
//	    each).
//	N3: each finder-like pattern in a row or a column, dark:light:dark:
//	    light:dark runs of k:k:3k:k:k modules (any k ≥ 1) with a light run
//	    of at least 4k on one side and of at least k on the other, scores
//	    40, twice if both sides have 4k. Beyond the symbol is light.
//	N4: 10 × (⌈d / 5 %⌉ − 1), d the distance of the dark proportion from
//	    50 % (never 0: n×n is odd).
//
// N1 and N3 are counted for 64 lines at once: the lines' modules at one
// position are a word (layout.go), so a pattern along the lines is a few
// ANDs of neighbouring words; rows and columns alike.
func penalty(l layout, p []uint64) int {
	const n2, n4 = 3, 10
	n := l.n
	res := 0
	dark := 0
	for w := range l.words {
		line := p[w*l.stride : (w+1)*l.stride]
		lanes := ^uint64(0) // the lanes that are lines
		if left := 2*n - 64*w; left < 64 {
			lanes = 1<<uint(left) - 1
		}
		res += linePenalty(line, n, lanes)
		// N4: each module is in two lanes.
		for _, a := range line {
			dark += bits.OnesCount64(a)
		}
	}
	dark /= 2

	// N2: a 2×2 block at x, y is one colour when module x equals x+1 in
	// row y and in row y+1, and row y equals row y+1 at x; on the column
	// lanes (0 to n-1), lane x+1 is the next bit, or bit 0 of the next
	// word for bit 63.
	for w := 0; 64*w < n-1; w++ {
		r := p[l.at(w, 0):l.at(w, n)]
		next := zeros[:n] // the next lane word (its bit 0 matters when bit 63 is a column <= n-2)
		if w+1 < l.words {
			next = p[l.at(w+1, 0):l.at(w+1, n)]
		}
		lanes := ^uint64(0) // columns x <= n-2
		if left := n - 1 - 64*w; left < 64 {
			lanes = 1<<uint(left) - 1
		}
		for y := range n - 1 {
			a, b := r[y], r[y+1]
			as, bs := a>>1|next[y]<<63, b>>1|next[y+1]<<63
			same := ^(a ^ as) & ^(b ^ bs) & ^(a ^ b) & lanes
			res += bits.OnesCount64(same) * n2
		}
	}

	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	return res + k*n4
}

var zeros [177]uint64

// linePenalty is N1 and N3 (times their weights) of the lines in lanes of
// line (line[pad+j] is position j, the pads light).
func linePenalty(line []uint64, n int, lanes uint64) int {
	const n1, n3 = 3, 40
	res, finders := 0, 0

	// N1: same has the lanes where modules j to j+4 are one colour; a run
	// of length L ≥ 5 has L−4 such j, and starts where the previous same
	// has not the lane: its 3 + (L−5) is the L−4 plus 2 for its start.
	// N3 for k ≥ 2 has a middle run of 3k ≥ 6 dark modules after a light
	// run of k ≥ 2: where a dark run of six or more starts after two light
	// modules (rare), the lane is checked module by module.
	prev := uint64(0)
	for j := 0; j+5 <= n; j++ {
		x := line[pad+j-2 : pad+j+6] // x[2] is module j
		same := ^((x[2] ^ x[3]) | (x[3] ^ x[4]) | (x[4] ^ x[5]) | (x[5] ^ x[6])) & lanes
		res += bits.OnesCount64(same) + 2*bits.OnesCount64(same&^prev)
		prev = same
		for s := same & x[2] & x[7] &^ (x[0] | x[1]); s != 0; s &= s - 1 {
			finders += scaledFinders(line[pad:pad+n], uint(bits.TrailingZeros64(s)), j)
		}
	}

	// N3 for k = 1: light, 1011101, light at i-1 to i+7 (so the runs are
	// exactly 1, 1, 3, 1, 1), and 4 light before (i-4 to i-1) and/or
	// after (i+7 to i+10).
	for i := 0; i+7 <= n; i++ {
		x := line[pad+i-4 : pad+i+11] // x[4] is module i
		core := ^x[3] & x[4] & ^x[5] & x[6] & x[7] & x[8] & ^x[9] & x[10] & ^x[11]
		if core != 0 {
			before := ^(x[0] | x[1] | x[2] | x[3])
			after := ^(x[11] | x[12] | x[13] | x[14])
			finders += bits.OnesCount64(core&before) + bits.OnesCount64(core&after)
		}
	}
	return res + finders*n3
}

// scaledFinders counts (0, 1 or 2) the k:k:3k:k:k patterns with k ≥ 2 in
// lane b of line (line[j] is module j) whose middle dark run starts at m.
func scaledFinders(line []uint64, b uint, m int) int {
	n := len(line)
	dark := func(j int) bool { return j >= 0 && j < n && line[j]>>b&1 != 0 }
	// all tells whether the modules from..to-1 are all dark (or all
	// light), beyond the line counting as light.
	all := func(from, to int, d bool) bool {
		for j := from; j < to; j++ {
			if dark(j) != d {
				return false
			}
		}
		return true
	}
	e := m + 6 // the end of the middle run
	for dark(e) {
		e++
	}
	if (e-m)%3 != 0 {
		return 0
	}
	k := (e - m) / 3
	start, end := m-2*k, e+2*k // the pattern's first module, one past its last
	if start < 0 || end > n {
		return 0
	}
	// Dark k, light k, the middle, light k, dark k; the light runs beside
	// (k or 4k, each including the module next to the pattern) make the
	// outer dark runs exactly k.
	if !all(start, start+k, true) || !all(start+k, m, false) || !all(e, e+k, false) || !all(e+k, end, true) {
		return 0
	}
	before4, beforeK := all(start-4*k, start, false), all(start-k, start, false)
	after4, afterK := all(end, end+4*k, false), all(end, end+k, false)
	r := 0
	if after4 && beforeK {
		r++
	}
	if before4 && afterK {
		r++
	}
	return r
}
