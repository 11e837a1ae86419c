package latency

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// nearestRankUS is the textbook percentile on sorted samples, the reference
// the Histogram must match.
func nearestRankUS(sorted []uint64, p float64) uint64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func histOf(us ...uint64) *Histogram {
	h := New()
	for _, v := range us {
		h.Record(time.Duration(v) * time.Microsecond)
	}
	return h
}

func seq(from, to uint64) []uint64 {
	var s []uint64
	for v := from; v <= to; v++ {
		s = append(s, v)
	}
	return s
}

func TestPercentileExactRange(t *testing.T) {
	tests := []struct {
		name    string
		samples []uint64
		p       float64
		want    uint64
	}{
		{"empty", nil, 50, 0},
		{"single p50", []uint64{700}, 50, 700},
		{"single p99", []uint64{700}, 99, 700},
		{"1..100 p50", seq(1, 100), 50, 50},
		{"1..100 p90", seq(1, 100), 90, 90},
		{"1..100 p95", seq(1, 100), 95, 95},
		{"1..100 p99", seq(1, 100), 99, 99},
		{"1..100 p100", seq(1, 100), 100, 100},
		{"1..100 p0 is min", seq(1, 100), 0, 1},
		{"1..1000 p99.9", seq(1, 1000), 99.9, 999},
		{"two values p50", []uint64{10, 2000}, 50, 10},
		{"two values p51", []uint64{10, 2000}, 51, 2000},
		{"zeros", []uint64{0, 0, 0}, 99, 0},
		{"one outlier hides below p99", append(seq(1, 99), 1500), 99, 99},
		{"outlier is the max", append(seq(1, 99), 1500), 100, 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := histOf(tt.samples...)
			if got := h.PercentileUS(tt.p); got != tt.want {
				t.Errorf("PercentileUS(%v) = %d, want %d", tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentileMatchesNearestRankWithinResolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		gen  func() uint64
	}{
		{"sub-2ms", func() uint64 { return rng.Uint64N(2048) }},
		{"0-50ms", func() uint64 { return rng.Uint64N(50_000) }},
		{"long tail", func() uint64 { return uint64(rng.ExpFloat64() * 3000) }},
		{"seconds", func() uint64 { return 1_000_000 + rng.Uint64N(30_000_000) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			samples := make([]uint64, 20_000)
			for i := range samples {
				samples[i] = tt.gen()
			}
			h := histOf(samples...)
			slices.Sort(samples)
			for _, p := range []float64{1, 50, 90, 95, 99, 99.9, 100} {
				want := nearestRankUS(samples, p)
				got := h.PercentileUS(p)
				// Never below the truth, at most one bucket (1/1024) above it.
				if got < want || float64(got-want) > float64(want)/1024+1 {
					t.Errorf("p%v = %d µs, nearest rank %d µs", p, got, want)
				}
			}
			if h.Count != uint64(len(samples)) || h.MaxUS != samples[len(samples)-1] || h.MinUS != samples[0] {
				t.Errorf("count/min/max = %d/%d/%d", h.Count, h.MinUS, h.MaxUS)
			}
		})
	}
}

func TestBucketBoundaries(t *testing.T) {
	tests := []struct {
		v       uint64
		group   int
		index   int
		highest uint64
	}{
		{0, 0, 0, 0},
		{2047, 0, 2047, 2047},
		{2048, 1, 0, 2049},
		{2049, 1, 0, 2049},
		{4095, 1, 1023, 4095},
		{4096, 2, 0, 4099},
		{10_000, 3, 226, 10_007},
	}
	for _, tt := range tests {
		g, i := bucketOf(tt.v)
		if g != tt.group || i != tt.index {
			t.Errorf("bucketOf(%d) = (%d, %d), want (%d, %d)", tt.v, g, i, tt.group, tt.index)
		}
		if hi := bucketHigh(g, i); hi != tt.highest {
			t.Errorf("bucketHigh(bucketOf(%d)) = %d, want %d", tt.v, hi, tt.highest)
		}
	}
}

func TestHistogramMergeAndClamp(t *testing.T) {
	a := histOf(1, 2, 3)
	b := histOf(5000, 6000)
	empty := New()
	a.Merge(empty)
	empty.Merge(b)
	a.Merge(b)
	if a.Count != 5 || a.MinUS != 1 || a.MaxUS != 6000 || a.SumUS != 11006 {
		t.Fatalf("merged: count %d min %d max %d sum %d", a.Count, a.MinUS, a.MaxUS, a.SumUS)
	}
	if empty.Count != 2 || empty.MinUS != 5000 {
		t.Fatalf("merge into empty: count %d min %d", empty.Count, empty.MinUS)
	}
	h := New()
	h.Record(-time.Second)
	h.Record(100 * 24 * time.Hour)
	if h.MinUS != 0 || h.MaxUS != histMaxUS-1 || h.PercentileUS(100) != histMaxUS-1 {
		t.Fatalf("clamp: min %d max %d", h.MinUS, h.MaxUS)
	}
	if got := histOf(1000, 3000).MeanUS(); got != 2000 {
		t.Fatalf("mean = %v", got)
	}
}
