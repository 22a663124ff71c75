package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/textdesk/textdesk/workflows"
)

// TestReplayRecordedHistories replays histories recorded from a real Temporal server
// (workflows/testdata/*.json, as `temporal workflow show -o json` writes them) against
// the current workflow code. A failure means a change made the workflow nondeterministic
// for conversations already running: guard it with workflow.GetVersion instead.
//
// The histories were recorded on `temporal server start-dev` with a worker running
// workflows.Conversation and fake activities (same names, canned results), driven
// through the client: SignalWithStart + signals + updates as the API sends them, then
// `temporal workflow show -w <id> -o json > testdata/<scenario>.json`. Record new ones
// for new scenarios; re-record old ones only for a deliberately incompatible change.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow histories in testdata/*.json; the replay test would prove nothing")
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(workflows.Conversation)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
				t.Fatalf("replaying %s: %v", file, err)
			}
		})
	}
}
