package store

import (
	"strings"
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

// FuzzCursors: every cursor a client can send (?cursor=) is either decoded or refused
// as invalid input (400) — never a panic or another error — and what the server
// encodes decodes back to itself. Run by `make fuzz`.
func FuzzCursors(f *testing.F) {
	at := time.Date(2024, 5, 1, 9, 30, 0, 123456000, time.UTC)
	id := "0190a4b2-7c3e-7d4f-8a9b-0c1d2e3f4a5b"
	f.Add(encodeCursor(at, id), "mine", 1)
	f.Add(encodeInboxCursor("team", 2, at, id), "team", 2)
	f.Add("!!!", "new", -1)
	f.Add("fA", "", 3)
	f.Fuzz(func(t *testing.T, cursor, inbox string, rank int) {
		if _, err := decodeCursor(cursor); err != nil && conversation.ErrorCode(err) != conversation.EInvalid {
			t.Fatalf("decodeCursor(%q): %v; want invalid input", cursor, err)
		}
		if _, err := decodeInboxCursor(inbox, cursor); err != nil && conversation.ErrorCode(err) != conversation.EInvalid {
			t.Fatalf("decodeInboxCursor(%q): %v; want invalid input", cursor, err)
		}
		p, err := decodeCursor(encodeCursor(at, id))
		if err != nil || p.id != id || !p.time.Equal(at) {
			t.Fatalf("round trip: %+v %v", p, err)
		}
		if rank >= 0 && rank <= 2 && !strings.Contains(inbox, "|") {
			q, err := decodeInboxCursor(inbox, encodeInboxCursor(inbox, rank, at, id))
			if err != nil || q.rank != rank || q.id != id || !q.at.Equal(at) {
				t.Fatalf("inbox round trip %q %d: %+v %v", inbox, rank, q, err)
			}
		}
	})
}
