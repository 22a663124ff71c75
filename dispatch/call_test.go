package dispatch

import (
	"context"
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

// fakeTemporal runs updates that take updateTakes, on a task queue whose workers last
// polled at lastPoll (zero: no worker ever polled).
type fakeTemporal struct {
	client.Client
	updateTakes time.Duration
	lastPoll    func() time.Time
}

func (f *fakeTemporal) DescribeTaskQueue(ctx context.Context, _ string, _ enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error) {
	resp := &workflowservice.DescribeTaskQueueResponse{}
	if t := f.lastPoll(); !t.IsZero() {
		resp.Pollers = []*taskqueuepb.PollerInfo{{LastAccessTime: timestamppb.New(t), Identity: "worker-1"}}
	}
	return resp, nil
}

func (f *fakeTemporal) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	select {
	case <-time.After(f.updateTakes):
		return doneUpdate{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type doneUpdate struct{ client.WorkflowUpdateHandle }

func (doneUpdate) Get(context.Context, any) error { return nil }

// A worker that keeps polling while an update takes longer than CallTimeout is busy,
// not gone: the update is waited for. One that no longer polls answers 503 right after
// CallTimeout, and MaxCallWait bounds waiting on a busy one.
func TestCallWaitsForBusyWorkersOnly(t *testing.T) {
	const callTimeout = 200 * time.Millisecond
	cases := []struct {
		name        string
		updateTakes time.Duration
		maxWait     time.Duration
		lastPoll    func() time.Time
		wantErr     bool
		within      time.Duration
	}{
		{"busy worker polling", 700 * time.Millisecond, 5 * time.Second, time.Now, false, 2 * time.Second},
		{"no worker ever", 5 * time.Second, 5 * time.Second, func() time.Time { return time.Time{} }, true, callTimeout + 500*time.Millisecond},
		{"worker gone a minute ago", 5 * time.Second, 5 * time.Second, func() time.Time { return time.Now().Add(-time.Minute) }, true, callTimeout + 500*time.Millisecond},
		{"busy past the max wait", 5 * time.Second, 600 * time.Millisecond, time.Now, true, 1500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Dispatcher{Temporal: &fakeTemporal{updateTakes: c.updateTakes, lastPoll: c.lastPoll},
				TaskQueue: "q", CallTimeout: callTimeout, MaxCallWait: c.maxWait}
			start := time.Now()
			_, err := d.Act(context.Background(), "c1", workflows.UpdateReply, "u1", workflows.Action{})
			took := time.Since(start)
			if took > c.within {
				t.Errorf("answered after %s; want within %s", took, c.within)
			}
			if !c.wantErr {
				if err != nil {
					t.Fatalf("Act: %v; want the busy worker waited for", err)
				}
				return
			}
			var e *conversation.Error
			if !errors.As(err, &e) || e.Code != conversation.EUnavailable {
				t.Fatalf("Act: %v; want unavailable", err)
			}
		})
	}
}
