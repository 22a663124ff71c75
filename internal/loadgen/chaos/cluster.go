package chaos

import (
	"context"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/stack"
)

// ClusterScenarios run on the production-shaped topology (stack.Options.Cluster:
// Temporal's services as separate processes on Postgres, two api replicas behind the
// load balancer, two workers); the burst's webhooks and agent replies go through the
// balancer, so both api replicas take them.
var ClusterScenarios = []Scenario{
	{
		Name: "cluster-kill-worker", Fault: "kill -9 one of two workers mid-burst (restarted 15 s later)",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			return killAndRestart(ctx, s, begin, stack.WorkerName(0), 15*time.Second)
		},
	},
	{
		Name: "cluster-kill-api", Fault: "kill -9 one of two api replicas mid-burst (restarted 15 s later)",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			return killAndRestart(ctx, s, begin, stack.APIName(0), 15*time.Second)
		},
	},
	{
		Name: "cluster-kill-history", Fault: "kill -9 Temporal's history service, restart it 2 s later",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			return killAndRestart(ctx, s, begin, "history", 2*time.Second)
		},
	},
	{
		Name: "cluster-kill-matching", Fault: "kill -9 Temporal's matching service, restart it 2 s later",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			return killAndRestart(ctx, s, begin, "matching", 2*time.Second)
		},
	},
	{
		Name: "cluster-restart-postgres", Fault: "restart Postgres under the whole cluster (Temporal's and textdesk's databases)",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			sleepUntil(ctx, begin.Add(10*time.Second))
			return s.RestartPostgres(ctx, 2*time.Second)
		},
	},
	{
		Name: "cluster-partition", Fault: "a worker in its own network namespace cut off from Temporal for 30 s (still reaching Postgres and Twilio), then healed",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		// worker-1 makes way for a worker that runs as its own host (stack.Partition),
		// so the burst is shared by worker-2 and the one that will be cut off.
		Prepare: func(ctx context.Context, s *stack.Stack) (func(), error) {
			if err := s.Cluster.Kill(stack.WorkerName(0)); err != nil {
				return nil, err
			}
			p, err := s.StartPartitionableWorker(ctx)
			if err != nil {
				return nil, err
			}
			s.Partition = p
			return p.Close, nil
		},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			sleepUntil(ctx, begin.Add(10*time.Second))
			if err := s.Partition.Cut(); err != nil {
				return err
			}
			sleepUntil(ctx, time.Now().Add(30*time.Second))
			return s.Partition.Heal()
		},
	},
}

// killAndRestart SIGKILLs a cluster process 10 s into the burst and restarts it after
// down; a restarted worker is waited for until it polls again.
func killAndRestart(ctx context.Context, s *stack.Stack, begin time.Time, name string, down time.Duration) error {
	sleepUntil(ctx, begin.Add(10*time.Second))
	if err := s.Cluster.Kill(name); err != nil {
		return err
	}
	sleepUntil(ctx, time.Now().Add(down))
	if err := s.Cluster.Restart(ctx, name); err != nil {
		return err
	}
	if name == stack.WorkerName(0) {
		return s.WaitClusterWorker(ctx, name)
	}
	return nil
}
