package stats

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(ds)
	want := Summary{N: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if s != want {
		t.Fatalf("Summarize = %+v, want %+v", s, want)
	}
	if ds[0] != 100*time.Millisecond {
		t.Fatal("Summarize sorted its input")
	}
	one := []time.Duration{7}
	for _, p := range []float64{1, 50, 99, 100} {
		if got := Percentile(one, p); got != 7 {
			t.Fatalf("Percentile(one, %v) = %v", p, got)
		}
	}
	if got := Percentile([]time.Duration{1, 2, 3}, 50); got != 2 {
		t.Fatalf("p50 of 1,2,3 = %v", got)
	}
	if (Summarize(nil) != Summary{}) || Percentile(nil, 50) != 0 {
		t.Fatal("empty input")
	}
}

func TestRates(t *testing.T) {
	if got := PerSecond(500, 2*time.Second); got != 250 {
		t.Fatalf("PerSecond = %v", got)
	}
	if PerSecond(1, 0) != 0 || Ratio(1, 0) != 0 {
		t.Fatal("division by zero not guarded")
	}
	if got := Ratio(3, 4); got != 0.75 {
		t.Fatalf("Ratio = %v", got)
	}
	if got := Ms(1500 * time.Microsecond); got != "1.5" {
		t.Fatalf("Ms = %q", got)
	}
}
