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
