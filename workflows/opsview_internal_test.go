package workflows

import (
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

// The ops view's cost: StartMetadata runs on every webhook (the start options of
// SignalWithStart), currentDetails on every event a conversation applies.
func BenchmarkStartMetadata(b *testing.B) {
	for b.Loop() {
		StartMetadata("Demo Support", "0a82c2d8-b0f5-4af9-89e6-e70eb523ff40", "0b139dce-2a7e-4c4b-a767-c16698061204", StartedInbound, "")
	}
}

func BenchmarkCurrentDetails(b *testing.B) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	st := conversation.State{
		ID: "c", TeamID: "0a82c2d8-b0f5-4af9-89e6-e70eb523ff40", Status: conversation.StatusActive, NextAction: conversation.ActorCustomer,
		Assignees: []string{"11ae6968-b0e7-4f31-ab0f-927314a66c7e", "22ae6968-b0e7-4f31-ab0f-927314a66c7e"},
		Offer:     &conversation.Offer{Kind: conversation.OfferConference, UserID: "33ae6968-b0e7-4f31-ab0f-927314a66c7e", OfferedAt: now, ExpiresAt: now.Add(30 * time.Second)},
		Scheduled: []conversation.Scheduled{{ID: "s1", SendAt: now.Add(time.Hour)}}, OpenedAt: now,
		Settings: conversation.DefaultSettings(),
	}
	for b.Loop() {
		currentDetails(st, "")
	}
}

// TestDeadlineSummary: each kind of deadline is named as NextDeadline picks it, the
// offer first when deadlines tie.
func TestDeadlineSummary(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	base := conversation.State{Status: conversation.StatusActive, OpenedAt: now, Settings: conversation.DefaultSettings()}
	with := func(f func(*conversation.State)) conversation.State { s := base; f(&s); return s }
	offer := func(kind conversation.OfferKind, at time.Time) *conversation.Offer {
		return &conversation.Offer{Kind: kind, UserID: "u1", OfferedAt: now, ExpiresAt: at}
	}
	for _, c := range []struct {
		name string
		st   conversation.State
		want string
	}{
		{"inactivity", base, "inactivity close"},
		{"route offer", with(func(s *conversation.State) { s.Offer = offer(conversation.OfferRoute, now.Add(time.Minute)) }), "offer to u1 expires"},
		{"transfer offer", with(func(s *conversation.State) { s.Offer = offer(conversation.OfferTransfer, now.Add(time.Minute)) }), "transfer offer to u1 expires"},
		{"conference offer", with(func(s *conversation.State) { s.Offer = offer(conversation.OfferConference, now.Add(time.Minute)) }), "conference offer to u1 expires"},
		{"wrap-up", with(func(s *conversation.State) {
			s.Status, s.WrapUpDeadline = conversation.StatusWrapUp, now.Add(10*time.Minute)
		}), "wrap-up deadline"},
		{"scheduled first", with(func(s *conversation.State) {
			s.Offer = offer(conversation.OfferRoute, now.Add(time.Hour))
			s.Scheduled = []conversation.Scheduled{{ID: "sc-1", SendAt: now.Add(time.Minute)}, {ID: "sc-2", SendAt: now.Add(2 * time.Minute)}}
		}), "scheduled message sc-1"},
		{"tie: offer first", with(func(s *conversation.State) {
			s.Offer = offer(conversation.OfferRoute, now.Add(time.Minute))
			s.Scheduled = []conversation.Scheduled{{ID: "sc-1", SendAt: now.Add(time.Minute)}}
		}), "offer to u1 expires"},
		{"closed: none", with(func(s *conversation.State) { s.Status = conversation.StatusClosed }), ""},
	} {
		if got := deadlineSummary(c.st, c.st.NextDeadline()); got != c.want {
			t.Errorf("%s: %q; want %q", c.name, got, c.want)
		}
	}
}
