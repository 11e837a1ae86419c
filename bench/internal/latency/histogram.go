// Package latency is the latency histogram of the bench tools: bounded
// memory, 1 µs resolution below 2 ms and at most 0.1 % error above.
package latency

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in microseconds, HDR style: values below
// 2048 µs are kept exactly, larger ones in buckets whose width is at most
// 1/1024 of their value. Memory stays bounded however long a run lasts
// (unlike keeping every sample), and buckets are allocated only for the
// magnitudes actually seen.
type Histogram struct {
	groups [][]uint64 // groups[0]: exact 0..2047 µs; groups[g]: [1024<<g, 2048<<g) in steps of 1<<g
	Count  uint64
	SumUS  uint64
	MinUS  uint64
	MaxUS  uint64
}

const (
	histSubBits = 10
	histSub     = 1 << histSubBits // buckets per group above the exact range
	// Latencies beyond ~12 days cannot come from a bounded run; clamping
	// keeps the group count fixed.
	histMaxUS     = uint64(1) << 40
	histMaxGroups = 40 - histSubBits + 1
)

func New() *Histogram {
	return &Histogram{groups: make([][]uint64, histMaxGroups)}
}

func durationToUS(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d / time.Microsecond)
}

// bucketOf returns the group and the index inside it for v (µs).
func bucketOf(v uint64) (group, index int) {
	if v < 2*histSub {
		return 0, int(v)
	}
	g := bits.Len64(v) - (histSubBits + 1)
	return g, int(v>>uint(g)) - histSub
}

// bucketHigh is the largest value that falls into the bucket.
func bucketHigh(group, index int) uint64 {
	if group == 0 {
		return uint64(index)
	}
	return (uint64(histSub+index+1) << uint(group)) - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := min(durationToUS(d), histMaxUS-1)
	g, i := bucketOf(v)
	if h.groups[g] == nil {
		n := histSub
		if g == 0 {
			n = 2 * histSub
		}
		h.groups[g] = make([]uint64, n)
	}
	h.groups[g][i]++
	if h.Count == 0 || v < h.MinUS {
		h.MinUS = v
	}
	if v > h.MaxUS {
		h.MaxUS = v
	}
	h.Count++
	h.SumUS += v
}

// Merge adds every latency of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.Count == 0 {
		return
	}
	for g, grp := range o.groups {
		if grp == nil {
			continue
		}
		if h.groups[g] == nil {
			h.groups[g] = make([]uint64, len(grp))
		}
		for i, c := range grp {
			h.groups[g][i] += c
		}
	}
	if h.Count == 0 || o.MinUS < h.MinUS {
		h.MinUS = o.MinUS
	}
	h.MaxUS = max(h.MaxUS, o.MaxUS)
	h.Count += o.Count
	h.SumUS += o.SumUS
}

// PercentileUS returns the nearest-rank percentile p (0..100) in µs: the
// smallest recorded value such that at least p% of the samples are <= it.
// Above 2048 µs the answer is the top of its bucket (at most 0.1% high),
// never more than the true maximum.
func (h *Histogram) PercentileUS(p float64) uint64 {
	if h.Count == 0 {
		return 0
	}
	if p <= 0 {
		return h.MinUS
	}
	if p >= 100 {
		return h.MaxUS
	}
	// The epsilon keeps 99.9% of 1000 at rank 999 despite float rounding.
	rank := uint64(math.Ceil(p*float64(h.Count)/100 - 1e-9))
	rank = max(rank, 1)
	var seen uint64
	for g, grp := range h.groups {
		for i, c := range grp {
			if c == 0 {
				continue
			}
			seen += c
			if seen >= rank {
				return min(max(bucketHigh(g, i), h.MinUS), h.MaxUS)
			}
		}
	}
	return h.MaxUS
}

func (h *Histogram) MeanUS() float64 {
	if h.Count == 0 {
		return 0
	}
	return float64(h.SumUS) / float64(h.Count)
}
