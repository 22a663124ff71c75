package apibench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of samples by the nearest-rank
// method: the smallest sample with at least p% of the samples at or below it. It is
// always one of the samples. samples need not be sorted; an empty slice gives 0.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Summary is what the report shows of one endpoint's timings.
type Summary struct {
	N             int
	P50, P99, Max time.Duration
}

// Summarize computes the summary of samples.
func Summarize(samples []time.Duration) Summary {
	s := slices.Clone(samples)
	slices.Sort(s)
	sum := Summary{N: len(s)}
	if len(s) > 0 {
		sum.P50, sum.P99, sum.Max = percentileSorted(s, 50), percentileSorted(s, 99), s[len(s)-1]
	}
	return sum
}

// rowsRange renders the rows returned per response: "50", or "0–12" when they vary.
func rowsRange(rows []int) string {
	if len(rows) == 0 {
		return "–"
	}
	lo, hi := slices.Min(rows), slices.Max(rows)
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// ms renders a duration in milliseconds with a precision that suits its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 1:
		return fmt.Sprintf("%.3f", v)
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// ratio renders d as a multiple of base ("3.4×"); "–" without a base.
func ratio(d, base time.Duration) string {
	if base <= 0 {
		return "–"
	}
	r := float64(d) / float64(base)
	if r < 10 {
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.0f×", r)
}
