package store

import (
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

// A history page ends at an item; the next starts strictly after it, to the microsecond.
func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 30, 0, 123456000, time.FixedZone("x", 3600))
	id := "6f1d8a52-7d1e-4d8e-9a50-0d3c1f2e4b7a"
	p, err := decodeCursor(encodeCursor(at, id))
	if err != nil || p.time == nil || !p.time.Equal(at) || p.id != id {
		t.Fatalf("round trip: %+v %v", p, err)
	}
	for _, bad := range []string{"zzz", "bm9waXBl", encodeCursor(at, "not-a-uuid")} {
		if _, err := decodeCursor(bad); conversation.ErrorCode(err) != conversation.EInvalid {
			t.Errorf("decodeCursor(%q): %v; want invalid", bad, err)
		}
	}
}
