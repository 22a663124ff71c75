package store

import (
	"testing"
	"time"
)

// The queries are tested against Postgres in e2e (TestReserveSendSlot and the
// messaging tests); these are the pure helpers.

func TestSeconds(t *testing.T) {
	for in, want := range map[float64]time.Duration{-1: 0, 0: 0, 0.25: 250 * time.Millisecond, 3.03: 3030 * time.Millisecond} {
		if got := seconds(in); got != want {
			t.Errorf("seconds(%v) = %s; want %s", in, got, want)
		}
	}
}

func TestOptedOutReason(t *testing.T) {
	if got := OptedOutReason(""); got != "the contact has opted out of messages" {
		t.Errorf("no reason: %q", got)
	}
	if got := OptedOutReason(`they replied "STOP"`); got != `the contact has opted out of messages (they replied "STOP")` {
		t.Errorf("with reason: %q", got)
	}
}
