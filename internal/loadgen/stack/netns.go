package stack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Partition is a worker replica run as its own host: a network namespace reaching the
// cluster through two veth pairs made by the harness, one carrying its Temporal traffic
// and one its Postgres and Twilio (emulator) traffic. Cut takes the Temporal link down,
// so the worker keeps reaching Postgres and Twilio while Temporal no longer hears from
// it: the split in which a worker that takes over could send what the cut-off one is
// still sending. Everything stays on this machine (10.213.x.y on veths, loopback
// behind them). Needs root and iproute2.
type Partition struct {
	ns                     string
	temporalLink, dataLink string // host-side veth names
	Worker                 *Proc
	listeners              []net.Listener
	mu                     sync.Mutex
	conns                  []net.Conn
	// What crossed the forwarders, to show the cut happened and what the worker did
	// meanwhile: bytes from the worker to Temporal, and Twilio send requests (POSTs to the
	// Messages resource) from the worker.
	temporalBytes  atomic.Int64
	twilioSends    atomic.Int64
	twilioAccepted atomic.Int64
}

// PartitionCounters are totals so far; compare two readings. TwilioSends are the
// worker's message-create requests, TwilioAccepted the emulator's 201 answers to them.
type PartitionCounters struct{ TemporalBytes, TwilioSends, TwilioAccepted int64 }

// Counters reads the totals.
func (p *Partition) Counters() PartitionCounters {
	return PartitionCounters{p.temporalBytes.Load(), p.twilioSends.Load(), p.twilioAccepted.Load()}
}

const (
	partTemporalHost, partTemporalNS = "10.213.1.1", "10.213.1.2"
	partDataHost, partDataNS         = "10.213.2.1", "10.213.2.2"
)

// StartPartitionableWorker starts a third worker replica in a fresh network namespace
// and waits until it polls. Close removes the namespace and its veths even after a
// failed start; namespaces left by a harness that was killed are removed first.
func (s *Stack) StartPartitionableWorker(ctx context.Context) (p *Partition, err error) {
	if s.Cluster == nil {
		return nil, fmt.Errorf("stack: a partitioned worker needs cluster mode")
	}
	removeStaleNamespaces()
	id := strconv.Itoa(os.Getpid())
	p = &Partition{ns: "textdesk-chaos-" + id, temporalLink: "tdt" + id + "h", dataLink: "tdd" + id + "h"}
	defer func() {
		if err != nil {
			p.Close()
			p = nil
		}
	}()
	steps := [][]string{
		{"netns", "add", p.ns},
		{"-n", p.ns, "link", "set", "lo", "up"},
	}
	for _, l := range []struct{ host, hostIP, nsIP string }{{p.temporalLink, partTemporalHost, partTemporalNS}, {p.dataLink, partDataHost, partDataNS}} {
		peer := strings.TrimSuffix(l.host, "h") + "n"
		steps = append(steps,
			[]string{"link", "add", l.host, "type", "veth", "peer", "name", peer},
			[]string{"link", "set", peer, "netns", p.ns},
			[]string{"addr", "add", l.hostIP + "/30", "dev", l.host},
			[]string{"link", "set", l.host, "up"},
			[]string{"-n", p.ns, "addr", "add", l.nsIP + "/30", "dev", peer},
			[]string{"-n", p.ns, "link", "set", peer, "up"},
		)
	}
	for _, args := range steps {
		if err := ipCmd(args...); err != nil {
			return p, err
		}
	}
	// The cluster listens on 127.0.0.1 only; forwarders on the veths' host side carry
	// the namespace's connections there.
	fwd := func(hostIP, target string, count func(up bool, b []byte)) (string, error) {
		l, err := net.Listen("tcp4", hostIP+":0")
		if err != nil {
			return "", err
		}
		p.listeners = append(p.listeners, l)
		go p.forward(l, target, count)
		return l.Addr().String(), nil
	}
	temporalAddr, err1 := fwd(partTemporalHost, s.Cluster.FrontendAddress, countBytes(&p.temporalBytes))
	pgAddr, err2 := fwd(partDataHost, fmt.Sprintf("127.0.0.1:%d", s.PG.Port), nil)
	emuAddr, err3 := fwd(partDataHost, strings.TrimPrefix(s.EmulatorURL, "http://"), countSends(&p.twilioSends, &p.twilioAccepted))
	for _, e := range []error{err1, err2, err3} {
		if e != nil {
			return p, e
		}
	}
	dbURL, err := url.Parse(s.DatabaseURL)
	if err != nil {
		return p, err
	}
	dbURL.Host = pgAddr
	env := append(append(s.env, s.Cluster.TemporalEnv()...), "TEMPORAL_ADDRESS="+temporalAddr, "DATABASE_URL="+dbURL.String(),
		"TWILIO_BASE_URL=http://"+emuAddr, "PUBLIC_URL="+s.APIURL, "WORKER_METRICS_ADDR=", "API_INTERNAL_ADDR=")
	env = append(env, s.o.WorkerEnv...)
	// `ip netns exec` execs the worker, so the pid (and the SDK identity) is the worker's.
	if p.Worker, err = startProc("worker-netns", "ip", []string{"netns", "exec", p.ns, s.o.TextdeskBin, "worker"}, env, s.LogFile("worker-netns")); err != nil {
		return p, err
	}
	return p, s.WaitPoller(ctx, "product", p.Worker)
}

// Cut takes the Temporal link down: packets to and from Temporal are dropped (no
// reset), as in a real partition; Postgres and Twilio stay reachable.
func (p *Partition) Cut() error { return ipCmd("link", "set", p.temporalLink, "down") }

// Heal brings the Temporal link back.
func (p *Partition) Heal() error { return ipCmd("link", "set", p.temporalLink, "up") }

// Close stops the worker and the forwarders and deletes the namespace, which deletes
// the veth pairs with it.
func (p *Partition) Close() {
	if p == nil {
		return
	}
	p.Worker.Kill()
	for _, l := range p.listeners {
		l.Close()
	}
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	_ = ipCmd("netns", "del", p.ns)
	for _, l := range []string{p.temporalLink, p.dataLink} { // if the move into the namespace never happened
		_ = exec.Command("ip", "link", "del", l).Run()
	}
}

func (p *Partition) forward(l net.Listener, target string, count func(up bool, b []byte)) {
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		out, err := net.DialTimeout("tcp", target, 5*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(counted{out, count, true}, in); out.Close() }()
		go func() { _, _ = io.Copy(counted{in, count, false}, out); in.Close() }()
	}
}

// counted is a writer that reports what it writes (up: from the namespace's worker).
type counted struct {
	w     io.Writer
	count func(up bool, b []byte)
	up    bool
}

func (c counted) Write(b []byte) (int, error) {
	if c.count != nil {
		c.count(c.up, b)
	}
	return c.w.Write(b)
}

// countBytes counts what arrived from the namespace only: bytes towards it land in
// the host's socket buffer even while the link is down.
func countBytes(n *atomic.Int64) func(bool, []byte) {
	return func(up bool, b []byte) {
		if up {
			n.Add(int64(len(b)))
		}
	}
}

// countSends counts twilio-go's message creations in the worker's requests and the
// emulator's 201 answers (a line split across two reads would be missed: a count for
// the report, not a check).
func countSends(sends, accepted *atomic.Int64) func(bool, []byte) {
	return func(up bool, b []byte) {
		if up {
			sends.Add(int64(bytes.Count(b, []byte("POST /2010-04-01/Accounts/"))))
		} else {
			accepted.Add(int64(bytes.Count(b, []byte("HTTP/1.1 201 "))))
		}
	}
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// removeStaleNamespaces deletes textdesk-chaos-<pid> namespaces whose harness is gone.
func removeStaleNamespaces() {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		pidStr, ok := strings.CutPrefix(e.Name(), "textdesk-chaos-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == nil {
			continue // another harness's, still running
		}
		_ = ipCmd("netns", "del", e.Name())
	}
}
