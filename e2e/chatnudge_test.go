package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/workflows"
)

// Turning chat on answers at once and offers the missed conversations in the
// background: a per-team nudge workflow walks them in batches (it used to signal up to
// 500 of them inside the request). A retried PUT joins the same walk.
func TestChatOnNudgesInBackground(t *testing.T) {
	s := startStack(t, false, "We are closed.")
	ctx := context.Background()
	dana := s.newAgent("dana", "available")
	phones := []string{newPhone(), newPhone(), newPhone()}
	for _, p := range phones {
		if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: p, To: s.teamPhone, Body: "hi"}); err != nil || code != 200 {
			t.Fatalf("inbound: %d %v", code, err)
		}
	}
	eventually(t, "three missed conversations", func() bool {
		var list struct {
			Conversations []struct{ Status string } `json:"conversations"`
		}
		s.call("GET", "/v1/conversations", dana.token, nil, &list)
		n := 0
		for _, c := range list.Conversations {
			if c.Status == "missed" {
				n++
			}
		}
		return n == 3
	})
	s.mustAct(dana, "PUT", "/v1/teams/"+s.team.ID+"/chat", map[string]bool{"on": true}, http.StatusOK)
	s.mustAct(dana, "PUT", "/v1/teams/"+s.team.ID+"/chat", map[string]bool{"on": true}, http.StatusOK) // a retry
	run := s.temporal(t).GetWorkflow(ctx, workflows.ChatNudgeWorkflowID(s.team.ID), "")
	var nudged int
	// The retry either joined the first walk or (it had ended) walked what still waits.
	if err := run.Get(ctx, &nudged); err != nil || nudged < 1 {
		t.Fatalf("nudge workflow: %d nudged, %v; want the waiting conversations nudged", nudged, err)
	}
	eventually(t, "a missed conversation offered to dana", func() bool { return len(s.offersFor(dana)) >= 1 })
}
