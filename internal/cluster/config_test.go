package cluster

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestServerConfigNamesEveryPortAndBothDatabases(t *testing.T) {
	p := DefaultPorts(2, 2)
	cfg := serverConfig(p, "textdesk", "/d/dc.yaml", 8, TLSFiles{})
	for _, want := range []string{
		"grpcPort: 7233", "grpcPort: 7234", "grpcPort: 7235", "grpcPort: 7239",
		"membershipPort: 6933", "membershipPort: 6939", "httpPort: 7243",
		"databaseName: temporal\n", "databaseName: temporal_visibility\n", `connectAddr: "127.0.0.1:55433"`,
		"numHistoryShards: 8", `rpcAddress: "127.0.0.1:7233"`, `filepath: "/d/dc.yaml"`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("server config lacks %q", want)
		}
	}
	if strings.Contains(cfg, "tls:") {
		t.Error("plain cluster has a tls section")
	}
	tls := serverConfig(p, "textdesk", "/d/dc.yaml", 8, TLSFiles{CA: "/t/ca.pem", ServerCert: "/t/s.pem", ServerKey: "/t/sk.pem", ClientCert: "/t/c.pem", ClientKey: "/t/ck.pem", ServerName: "n"})
	for _, want := range []string{"requireClientAuth: true", `clientCaFiles: ["/t/ca.pem"]`, "systemWorker:", `certFile: "/t/c.pem"`} {
		if !strings.Contains(tls, want) {
			t.Errorf("TLS server config lacks %q", want)
		}
	}
}

func TestDefaultPortsDoNotCollide(t *testing.T) {
	seen := map[int]string{}
	for name, port := range DefaultPorts(2, 2).All() {
		if other, dup := seen[port]; dup {
			t.Fatalf("port %d used by %s and %s", port, name, other)
		}
		seen[port] = name
	}
}

// Temporal keeps its services' ports in a smallint column: a free port from the
// kernel's ephemeral range (above 32767) made every service exit at start.
func TestFreeTemporalPortsFitASmallint(t *testing.T) {
	p, err := fillPorts(Ports{APIReplicas: []int{0, 0}, APIInternal: []int{0, 0}, WorkerMetrics: []int{0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{p.Frontend, p.FrontendHTTP, p.FrontendMembership, p.History, p.HistoryMembership,
		p.Matching, p.MatchingMembership, p.Worker, p.WorkerMembership} {
		if port <= 0 || port > 32767 {
			t.Errorf("Temporal service port %d does not fit a smallint", port)
		}
	}
	seen := map[int]string{}
	for name, port := range p.All() {
		if port == 0 {
			t.Errorf("%s has no port", name)
		}
		if other, dup := seen[port]; dup {
			t.Errorf("port %d given to %s and %s", port, name, other)
		}
		seen[port] = name
	}
}

func TestPortInUseIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	_, err = fillPorts(Ports{API: busy})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d (api (load balancer))", busy)) {
		t.Fatalf("got %v, want an error naming port %d and its use", err, busy)
	}
}
