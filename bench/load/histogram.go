package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram records latencies in microseconds, HDR style: values below
// 2048 µs are kept exactly, larger ones in buckets whose width is at most
// 1/1024 of their value. Memory stays bounded however long a run lasts
// (unlike keeping every sample), and buckets are allocated only for the
// magnitudes actually seen.
type histogram struct {
	groups [][]uint64 // groups[0]: exact 0..2047 µs; groups[g]: [1024<<g, 2048<<g) in steps of 1<<g
	count  uint64
	sumUS  uint64
	minUS  uint64
	maxUS  uint64
}

const (
	histSubBits = 10
	histSub     = 1 << histSubBits // buckets per group above the exact range
	// Latencies beyond ~12 days cannot come from a bounded run; clamping
	// keeps the group count fixed.
	histMaxUS     = uint64(1) << 40
	histMaxGroups = 40 - histSubBits + 1
)

func newHistogram() *histogram {
	return &histogram{groups: make([][]uint64, histMaxGroups)}
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

func (h *histogram) record(d time.Duration) {
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
	if h.count == 0 || v < h.minUS {
		h.minUS = v
	}
	if v > h.maxUS {
		h.maxUS = v
	}
	h.count++
	h.sumUS += v
}

func (h *histogram) merge(o *histogram) {
	if o.count == 0 {
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
	if h.count == 0 || o.minUS < h.minUS {
		h.minUS = o.minUS
	}
	h.maxUS = max(h.maxUS, o.maxUS)
	h.count += o.count
	h.sumUS += o.sumUS
}

// percentileUS returns the nearest-rank percentile p (0..100) in µs: the
// smallest recorded value such that at least p% of the samples are <= it.
// Above 2048 µs the answer is the top of its bucket (at most 0.1% high),
// never more than the true maximum.
func (h *histogram) percentileUS(p float64) uint64 {
	if h.count == 0 {
		return 0
	}
	if p <= 0 {
		return h.minUS
	}
	if p >= 100 {
		return h.maxUS
	}
	// The epsilon keeps 99.9% of 1000 at rank 999 despite float rounding.
	rank := uint64(math.Ceil(p*float64(h.count)/100 - 1e-9))
	rank = max(rank, 1)
	var seen uint64
	for g, grp := range h.groups {
		for i, c := range grp {
			if c == 0 {
				continue
			}
			seen += c
			if seen >= rank {
				return min(max(bucketHigh(g, i), h.minUS), h.maxUS)
			}
		}
	}
	return h.maxUS
}

func (h *histogram) meanUS() float64 {
	if h.count == 0 {
		return 0
	}
	return float64(h.sumUS) / float64(h.count)
}
