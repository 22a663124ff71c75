package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/workflows"
)

// ensurePruneSchedule creates the Temporal Schedule that runs workflows.Prune hourly on
// taskQueue, or brings an existing one up to this version's action and interval. Every
// worker calls it at start: the schedule exists as soon as any worker runs (however
// migrate was run), and a rollout that changes it converges with the first new worker.
// The schedule, not the workers, decides when: one prune per hour per cluster.
func ensurePruneSchedule(ctx context.Context, c client.Client, taskQueue string, log *slog.Logger) error {
	id := workflows.PruneScheduleID(taskQueue)
	action := &client.ScheduleWorkflowAction{
		ID: id, Workflow: workflows.Prune, TaskQueue: taskQueue,
		WorkflowExecutionTimeout: workflows.PruneInterval,
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: workflows.PruneInterval}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		// After downtime one catch-up run is enough; the next hour brings another.
		CatchupWindow:      workflows.PruneInterval,
		TriggerImmediately: true,
		Note:               "created by textdesk worker: prunes expired agent events and sessions",
	})
	if err == nil {
		log.Info("created prune schedule", "schedule", id, "every", workflows.PruneInterval)
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create the prune schedule %s: %w", id, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			if pruneScheduleCurrent(s, taskQueue) {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			s.Action = action
			s.Spec = &spec
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			s.Policy.CatchupWindow = workflows.PruneInterval
			log.Info("updating prune schedule", "schedule", id)
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update the prune schedule %s: %w", id, err)
	}
	return nil
}

// pruneScheduleCurrent reports whether s already is what this version creates.
func pruneScheduleCurrent(s client.Schedule, taskQueue string) bool {
	a, ok := s.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.Workflow != "Prune" || a.TaskQueue != taskQueue || a.WorkflowExecutionTimeout != workflows.PruneInterval {
		return false
	}
	if s.Spec == nil || len(s.Spec.Intervals) != 1 || s.Spec.Intervals[0].Every != workflows.PruneInterval ||
		len(s.Spec.Calendars)+len(s.Spec.CronExpressions) > 0 {
		return false
	}
	return s.Policy != nil && s.Policy.Overlap == enumspb.SCHEDULE_OVERLAP_POLICY_SKIP && s.Policy.CatchupWindow == time.Duration(workflows.PruneInterval)
}
