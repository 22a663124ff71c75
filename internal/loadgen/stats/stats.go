// Package stats summarises latencies and rates for the load harness.
package stats

import (
	"fmt"
	"slices"
	"time"
)

// Summary is a latency distribution in brief.
type Summary struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// Summarize computes nearest-rank percentiles of ds (which it does not modify).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Summary{N: len(s), P50: Percentile(s, 50), P95: Percentile(s, 95), P99: Percentile(s, 99), Max: s[len(s)-1]}
}

// Percentile is the nearest-rank p-th percentile of sorted (0 < p <= 100): the smallest
// value with at least p% of the values at or below it.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100 + 0.9999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Ratio is a/b, or 0 when b is 0 (nothing measured).
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// PerSecond is n events over d.
func PerSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Ms formats d in milliseconds with one decimal, the unit every table uses.
func Ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}
