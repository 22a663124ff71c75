package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistories writes the histories of every workflow the test ran to the directory
// named by TEXTDESK_RECORD_HISTORIES (e.g. ../workflows/testdata), so the replay test
// covers the paths the integration tests take. Off unless the variable is set:
//
//	TEXTDESK_RECORD_HISTORIES=$PWD/workflows/testdata go test -count=1 ./e2e/
func (s *stack) recordHistories(t *testing.T) {
	dir := os.Getenv("TEXTDESK_RECORD_HISTORIES")
	if dir == "" || t.Failed() {
		return
	}
	ctx := context.Background()
	c := s.temporal(t)
	var execs []string
	eventually(t, "the test's workflows listed", func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("TaskQueue = '%s'", s.cfg.TaskQueue),
		})
		if err != nil {
			return false
		}
		execs = execs[:0]
		for _, e := range resp.Executions {
			execs = append(execs, e.Execution.WorkflowId+"/"+e.Execution.RunId)
		}
		return len(execs) > 0
	})
	for i, e := range execs {
		id, run, _ := strings.Cut(e, "/")
		var h historypb.History
		it := c.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			h.Events = append(h.Events, ev)
		}
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("e2e_%s_%d.json", strings.TrimPrefix(t.Name(), "Test"), i)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
