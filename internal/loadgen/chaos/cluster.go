package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/stack"
	"github.com/textdesk/textdesk/twilioemu"
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
		Name: "cluster-partition", Fault: "a worker in its own network namespace cut off from Temporal for 30 s (still reaching Postgres and Twilio, which answers sends 3 s late until just after the cut), then healed",
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
			// Every send is answered 3 s late until shortly after the cut, so the cut-off
			// worker has sends in flight, which Twilio accepts after Temporal stopped
			// hearing from it.
			slow := twilioemu.Faults{REST: []twilioemu.RESTFault{{Kind: twilioemu.FaultSlow, Method: "POST", Delay: twilioemu.Duration(3 * time.Second)}}}
			if err := emulator(s).SetFaults(ctx, slow); err != nil {
				return err
			}
			// 4 s in, the agents' replies (the burst's second round) are being sent.
			sleepUntil(ctx, begin.Add(4*time.Second))
			if err := s.Partition.Cut(); err != nil {
				return err
			}
			cut := s.Partition.Counters()
			time.Sleep(time.Second) // what was on the wire lands
			cutTemporal := s.Partition.Counters().TemporalBytes
			sleepUntil(ctx, time.Now().Add(4*time.Second))
			if err := emulator(s).SetFaults(ctx, twilioemu.Faults{}); err != nil {
				return err
			}
			sleepUntil(ctx, time.Now().Add(25*time.Second))
			during := s.Partition.Counters()
			if err := s.Partition.Heal(); err != nil {
				return err
			}
			if during.TemporalBytes != cutTemporal {
				return fmt.Errorf("partition did not hold: %d bytes reached Temporal from the cut-off worker", during.TemporalBytes-cutTemporal)
			}
			s.Note("the cut-off worker made %d Twilio sends before the cut; while cut off (0 bytes reached Temporal) Twilio accepted %d of its sends, in flight at the cut (their activities time out and retry elsewhere)",
				cut.TwilioSends, during.TwilioAccepted-cut.TwilioAccepted)
			return nil
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
