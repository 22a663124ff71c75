package store

import (
	"testing"
	"time"
)

func TestThrottleDelay(t *testing.T) {
	th := Throttle{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute}
	want := map[int]time.Duration{0: 0, 1: 0, 5: 0, 6: 2 * time.Second, 7: 4 * time.Second, 8: 8 * time.Second,
		9: 16 * time.Second, 14: 512 * time.Second, 15: 15 * time.Minute, 1000: 15 * time.Minute}
	for n, d := range want {
		if got := th.Delay(n); got != d {
			t.Errorf("Delay(%d) = %s; want %s", n, got, d)
		}
	}
}
