package main

import "yiwang/bench/internal/latency"

// histogram is the shared latency histogram (bench/internal/latency).
type histogram = latency.Histogram

func newHistogram() *histogram { return latency.New() }
