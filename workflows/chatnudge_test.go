package workflows_test

import (
	"context"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/workflows"
)

// The chat-on nudge walks the waiting conversations a batch at a time, each batch
// starting after the last one's cursor, and stops at a short batch.
func TestTeamChatNudgeBatches(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	counts := []int{workflows.ChatNudgeBatch, workflows.ChatNudgeBatch, 7}
	var seen []activities.NudgeBatchInput
	env.RegisterActivityWithOptions(func(_ context.Context, in activities.NudgeBatchInput) (activities.NudgeBatchResult, error) {
		seen = append(seen, in)
		n := counts[len(seen)-1]
		return activities.NudgeBatchResult{Count: n, Next: activities.NudgeCursor{ID: string(rune('a' + len(seen)))}}, nil
	}, activity.RegisterOptions{Name: "NudgeTeamBatch"})
	env.ExecuteWorkflow(workflows.TeamChatNudge, "team-1")
	var total int
	if err := env.GetWorkflowResult(&total); err != nil {
		t.Fatal(err)
	}
	if total != 2*workflows.ChatNudgeBatch+7 || len(seen) != 3 {
		t.Fatalf("nudged %d in %d batches; want %d in 3", total, len(seen), 2*workflows.ChatNudgeBatch+7)
	}
	for i, in := range seen {
		wantAfter := ""
		if i > 0 {
			wantAfter = string(rune('a' + i))
		}
		if in.TeamID != "team-1" || in.Limit != workflows.ChatNudgeBatch || in.After.ID != wantAfter {
			t.Errorf("batch %d = %+v; want team-1, limit %d, after %q", i, in, workflows.ChatNudgeBatch, wantAfter)
		}
	}
}
