package apibench

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", ms(7), 50, 7 * time.Millisecond},
		{"one sample p99", ms(7), 99, 7 * time.Millisecond},
		{"p50 of two is the lower", ms(2, 1), 50, 1 * time.Millisecond},
		{"p50 of three is the middle", ms(3, 1, 2), 50, 2 * time.Millisecond},
		{"p50 of four is the second", ms(4, 3, 2, 1), 50, 2 * time.Millisecond},
		{"p99 of 100 is the 99th", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 100 is the 50th", ms(hundred...), 50, 50 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"tiny p is the min", ms(hundred...), 0.001, 1 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p90 of 10 is the 9th", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.samples, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.samples, tc.p, got, tc.want)
			}
		})
	}
}

func TestPercentileLeavesSamplesAlone(t *testing.T) {
	s := []time.Duration{3, 1, 2}
	Percentile(s, 50)
	if s[0] != 3 || s[1] != 1 || s[2] != 2 {
		t.Errorf("samples reordered: %v", s)
	}
}

func TestSummarize(t *testing.T) {
	var s []time.Duration
	for i := 200; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Microsecond)
	}
	got := Summarize(s)
	want := Summary{N: 200, P50: 100 * time.Microsecond, P99: 198 * time.Microsecond, Max: 200 * time.Microsecond}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if (Summarize(nil) != Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", Summarize(nil))
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{ms(420 * time.Microsecond), "0.420"},
		{ms(4200 * time.Microsecond), "4.20"},
		{ms(42 * time.Millisecond), "42.0"},
		{ms(420 * time.Millisecond), "420"},
		{ratio(3*time.Millisecond, time.Millisecond), "3.0×"},
		{ratio(150*time.Millisecond, time.Millisecond), "150×"},
		{ratio(time.Millisecond, 0), "–"},
		{rowsRange([]int{50, 50}), "50"},
		{rowsRange([]int{3, 0, 12}), "0–12"},
		{rowsRange(nil), "–"},
		{thousands(100000), "100,000"},
		{thousands(999), "999"},
		{thousands(1000), "1,000"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
