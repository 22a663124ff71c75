package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/devstack"
)

// scrapeMetrics reads a /metrics page into series ("name{labels}") → value.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", url, line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// hasSeries reports whether a series of name carries every one of labels.
func hasSeries(series map[string]float64, name string, labels ...string) bool {
	for k := range series {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(k, l)
		}
		if ok {
			return true
		}
	}
	return false
}

// The api's /metrics carries the team gauges, read from Postgres at the scrape, and
// its Temporal client's metrics; the worker serves its own at WORKER_METRICS_ADDR.
func TestMetricsTeamGaugesAndTemporal(t *testing.T) {
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	workerMetrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) {
		c.WorkerMetricsAddr = fmt.Sprintf("127.0.0.1:%d", port)
	}})
	api := s.internalURL + "/metrics"
	team := `team_id="` + s.team.ID + `"`

	m := scrapeMetrics(t, api)
	if m[`textdesk_agents_available{`+team+`}`] != 0 || m[`textdesk_conversations{status="new",`+team+`}`] != 0 {
		t.Errorf("a fresh team: %v agents, %v new", m[`textdesk_agents_available{`+team+`}`], m[`textdesk_conversations{status="new",`+team+`}`])
	}
	if _, ok := m[`textdesk_conversations_waiting_oldest_seconds{`+team+`}`]; !ok {
		t.Errorf("no waiting gauge for the team")
	}

	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hello metrics")
	s.conversationWith(customer)
	m = scrapeMetrics(t, api)
	if waiting := m[`textdesk_conversations{status="new",`+team+`}`] + m[`textdesk_conversations{status="missed",`+team+`}`]; waiting != 1 {
		t.Errorf("conversations waiting for an agent: %v; want 1", waiting)
	}

	s.newAgent("metrics agent", "available")
	if got := scrapeMetrics(t, api)[`textdesk_agents_available{`+team+`}`]; got != 1 {
		t.Errorf("agents available: %v; want 1", got)
	}

	// The SDK reports counters every second, timers as they are recorded; the worker
	// may still be starting.
	eventually(t, "the api's Temporal client metrics", func() bool {
		return hasSeries(scrapeMetrics(t, api), "temporal_request_total", `process="api"`)
	})
	var w map[string]float64
	eventually(t, "the worker's Temporal metrics", func() bool {
		if resp, err := http.Get(workerMetrics); err != nil {
			return false
		} else {
			resp.Body.Close()
		}
		w = scrapeMetrics(t, workerMetrics)
		return hasSeries(w, "temporal_workflow_task_schedule_to_start_latency_seconds_bucket", `process="worker"`, `task_queue="`+s.cfg.TaskQueue+`"`) &&
			hasSeries(w, "temporal_request_total", `process="worker"`)
	})
	if w["go_goroutines"] == 0 || hasSeries(w, "textdesk_conversations") {
		t.Errorf("the worker's /metrics: go_goroutines %v, team gauges %v", w["go_goroutines"], hasSeries(w, "textdesk_conversations"))
	}
}
