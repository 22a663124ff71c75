package workflows_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/internal/testenv"
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
// They replay through the payload codec, as the worker runs: the older ones hold plain
// payloads (recorded before encryption), newer ones payloads under testenv.PayloadKeys.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow histories in testdata/*.json; the replay test would prove nothing")
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	replayer := codecReplayer(t)
	var plain, encrypted []string
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(encryptedMarker)) {
				encrypted = append(encrypted, file)
			} else {
				plain = append(plain, file)
			}
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
				t.Fatalf("replaying %s: %v", file, err)
			}
		})
	}
	// Conversations that started before payload encryption was turned on must go on,
	// and those after; both kinds must be here for that to be tested.
	if len(plain) == 0 || len(encrypted) == 0 {
		t.Fatalf("testdata has %d histories recorded before payload encryption and %d after; keep at least one of each", len(plain), len(encrypted))
	}
	// The encrypted ones replay because of the codec: without it they do not.
	bare := worker.NewWorkflowReplayer()
	bare.RegisterWorkflow(workflows.Conversation)
	if err := bare.ReplayWorkflowHistoryFromJSONFile(logger, encrypted[0]); err == nil {
		t.Errorf("%s replays without the payload codec: it is not encrypted, or the replayer does not decode", encrypted[0])
	}
}

// encryptedMarker is payloadcrypt.Encoding ("binary/encrypted") as protobuf JSON shows a
// payload's metadata: base64.
const encryptedMarker = "YmluYXJ5L2VuY3J5cHRlZA=="

// codecReplayer replays as the worker runs: with the payload codec (the tests' key, under
// which e2e records histories) and the failure converter that encrypts error messages.
// Payloads recorded before encryption pass through it.
func codecReplayer(t *testing.T) worker.WorkflowReplayer {
	t.Helper()
	var opts client.Options
	if err := app.EncryptPayloads(config.Config{PayloadKeys: testenv.PayloadKeys}, &opts); err != nil {
		t.Fatal(err)
	}
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter: opts.DataConverter, FailureConverter: opts.FailureConverter,
	})
	if err != nil {
		t.Fatal(err)
	}
	replayer.RegisterWorkflow(workflows.Conversation)
	return replayer
}
