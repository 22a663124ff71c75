package cluster

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// replica answers with its name, the forwarded headers and the body it got.
func replica(t *testing.T, name string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/events" { // a stream: two events, flushed one by one
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: one\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s host=%s xff=%s proto=%s body=%s", name, r.Host, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"), b)
	}))
	t.Cleanup(s.Close)
	return s
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestBalancerRoundRobinAndForwardedHeaders(t *testing.T) {
	a, b := replica(t, "a"), replica(t, "b")
	lb, err := NewBalancer([]string{a.URL, b.URL}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(lb)
	defer front.Close()
	seen := map[string]int{}
	for range 4 {
		resp, err := http.Post(front.URL+"/webhooks/x", "text/plain", strings.NewReader("hi"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := string(body)
		// The Host the client used is kept: replicas check origins and Twilio
		// signatures against PUBLIC_URL, the balancer's address.
		wantTail := fmt.Sprintf(" host=%s xff=127.0.0.1 proto=http body=hi", strings.TrimPrefix(front.URL, "http://"))
		if !strings.HasSuffix(got, wantTail) {
			t.Fatalf("replica saw %q, want suffix %q", got, wantTail)
		}
		seen[got[:1]]++
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Fatalf("round robin uneven: %v", seen)
	}
}

func TestBalancerResendsWhenAReplicaRefusesConnections(t *testing.T) {
	a := replica(t, "a")
	lb, err := NewBalancer([]string{closedPort(t), a.URL}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(lb)
	defer front.Close()
	for i := range 4 { // whichever replica round robin picks first, the body arrives whole
		resp, err := http.Post(front.URL+"/x", "text/plain", strings.NewReader(fmt.Sprint("msg", i)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasSuffix(string(body), fmt.Sprint("body=msg", i)) {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if lb.backends[0].healthy.Load() {
		t.Fatal("the refusing replica is still marked healthy")
	}
}

func TestBalancerAllDownIs502WithAMessage(t *testing.T) {
	lb, err := NewBalancer([]string{closedPort(t), closedPort(t)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	lb.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/me", nil))
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "failed") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestBalancerStreamsEventsUnbuffered(t *testing.T) {
	a := replica(t, "a")
	lb, _ := NewBalancer([]string{a.URL}, slog.New(slog.DiscardHandler))
	front := httptest.NewServer(lb)
	defer front.Close()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(front.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The replica never ends the response: the first event must arrive anyway.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event: %q %v", line, err)
	}
}

func TestBalancerPickSkipsUnhealthy(t *testing.T) {
	lb, _ := NewBalancer([]string{"http://a", "http://b", "http://c"}, slog.New(slog.DiscardHandler))
	lb.backends[1].healthy.Store(false)
	for range 10 {
		if be := lb.pick(map[*backend]bool{}); be == lb.backends[1] {
			t.Fatal("picked an unhealthy replica while healthy ones exist")
		}
	}
	for _, be := range lb.backends {
		be.healthy.Store(false)
	}
	if lb.pick(map[*backend]bool{}) == nil {
		t.Fatal("with every replica unhealthy, still try one (health checks lag)")
	}
}
