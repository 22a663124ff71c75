package stack

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/textdesk/textdesk/internal/cluster"
	"github.com/textdesk/textdesk/workflows"
)

// Replicas of each textdesk role in cluster mode.
const ClusterReplicas = 2

// startCluster brings up the production-shaped topology (internal/cluster) on free
// ports in the stack's directory, migrates, and starts two api replicas behind the
// cluster's load balancer, two workers and the baseline worker.
func (s *Stack) startCluster(ctx context.Context) error {
	bin := s.o.ClusterBinDir
	if bin == "" {
		bin = filepath.Dir(s.o.TextdeskBin)
	}
	zeros := make([]int, ClusterReplicas)
	c, err := cluster.Start(ctx, cluster.Options{
		DataDir: filepath.Join(s.Dir, "cluster"), BinDir: bin,
		Ports:     cluster.Ports{APIReplicas: zeros, APIInternal: slicesClone(zeros), WorkerMetrics: slicesClone(zeros)},
		Namespace: Namespace, SearchAttributes: workflows.SearchAttributes(), PostgresFast: true, TLS: s.o.ClusterTLS,
		Log: slog.New(slog.NewTextHandler(s.o.Log, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	s.Cluster, s.PG = c, c.PG
	s.APIURL, s.EmulatorURL = c.APIURL, c.EmulatorURL
	s.DatabaseURL = c.DatabaseURL
	if s.o.DatabaseQuery != "" {
		s.DatabaseURL += "&" + s.o.DatabaseQuery
	}
	s.env = append(s.baseEnv(), c.TemporalEnv()...)
	mig := exec.CommandContext(ctx, s.o.TextdeskBin, "migrate")
	mig.Env = append(s.env, "DATABASE_URL="+c.DatabaseURL)
	if out, err := mig.CombinedOutput(); err != nil {
		return fmt.Errorf("textdesk migrate: %w\n%s", err, out)
	}
	topts, err := c.ClientOptions()
	if err != nil {
		return err
	}
	if err := s.connect(ctx, topts); err != nil {
		return err
	}
	// -api-env and -worker-env tuning reaches every textdesk process (their names are
	// role-specific, so the other role ignores them).
	env := append(s.env, "DATABASE_URL="+s.DatabaseURL)
	if err := c.StartApps(ctx, cluster.AppOptions{Textdesk: s.o.TextdeskBin, Env: append(env, append(s.o.APIEnv, s.o.WorkerEnv...)...),
		APIs: ClusterReplicas, Workers: ClusterReplicas}); err != nil {
		return err
	}
	for i := range ClusterReplicas {
		if err := s.WaitClusterWorker(ctx, WorkerName(i)); err != nil {
			return err
		}
	}
	if s.o.ClusterTLS {
		return nil
	}
	return s.startBaseline(ctx)
}

// WorkerName is the cluster name of worker replica i (0-based).
func WorkerName(i int) string { return "worker-" + strconv.Itoa(i+1) }

// APIName is the cluster name of api replica i (0-based).
func APIName(i int) string { return "api-" + strconv.Itoa(i+1) }

// WaitClusterWorker waits until the cluster's worker replica name polls the product's
// task queue (the SDK's default identity starts with the pid).
func (s *Stack) WaitClusterWorker(ctx context.Context, name string) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		pid := s.Cluster.Pid(name)
		if pid != 0 {
			resp, err := s.Client.DescribeTaskQueue(ctx, TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
			if err == nil {
				for _, pi := range resp.GetPollers() {
					if strings.HasPrefix(pi.GetIdentity(), strconv.Itoa(pid)+"@") {
						return nil
					}
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %s not polling after 90s; see %s", name, s.Cluster.LogFile(name))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func slicesClone(s []int) []int { return append([]int(nil), s...) }

// ClusterServerVersion is what the cluster's Temporal server binary says it is.
func ClusterServerVersion(o Options) string {
	bin := o.ClusterBinDir
	if bin == "" {
		bin = filepath.Dir(o.TextdeskBin)
	}
	out, err := exec.Command(filepath.Join(bin, cluster.ServerBinary), "--version").Output()
	if err != nil {
		return "Temporal server (version unknown)"
	}
	return strings.TrimSpace(string(out))
}
