package api

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/textdesk/textdesk/store"
)

// fakeEvents is an in-memory agent_events table for one user.
type fakeEvents struct {
	mu     sync.Mutex
	events []store.AgentEvent
	wake   chan struct{}
}

func (f *fakeEvents) add(kind string) {
	f.mu.Lock()
	f.events = append(f.events, store.AgentEvent{ID: int64(len(f.events) + 1), Kind: kind, Text: kind + " happened", CreatedAt: time.Now()})
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeEvents) fetch(_ context.Context, after int64) ([]store.AgentEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.AgentEvent
	for _, e := range f.events {
		if e.ID > after && len(out) < eventBatch {
			out = append(out, e)
		}
	}
	return out, nil
}

// sseMessage is one block of the stream: an event (id and data), an id alone, or a comment.
type sseMessage struct {
	id, data, comment, retry string
}

// readSSE parses the stream into out until it ends.
func readSSE(t *testing.T, resp *http.Response, out chan<- sseMessage) {
	defer close(out)
	sc := bufio.NewScanner(resp.Body)
	var m sseMessage
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			out <- m
			m = sseMessage{}
		case strings.HasPrefix(line, ":"):
			m.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "id: "):
			m.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			m.data = line[6:]
		case strings.HasPrefix(line, "retry: "):
			m.retry = line[7:]
		default:
			t.Errorf("unexpected line %q", line)
		}
	}
}

func next(t *testing.T, ch <-chan sseMessage, skipHeartbeats bool) sseMessage {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended")
			}
			if skipHeartbeats && m.comment == "heartbeat" {
				continue
			}
			return m
		case <-timeout:
			t.Fatal("no message within 5s")
		}
	}
}

func TestEventStream(t *testing.T) {
	f := &fakeEvents{wake: make(chan struct{}, 1)}
	for range 3 {
		f.add("offer")
	}
	stopping := make(chan struct{})
	handlerDone := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { handlerDone <- struct{}{} }()
		after, _, err := eventsAfter(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		src := eventSource{fetch: f.fetch, wake: f.wake, stopping: stopping, poll: time.Hour, heartbeat: 50 * time.Millisecond,
			log: slog.New(slog.DiscardHandler)}
		_ = src.stream(r.Context(), w, after)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("answer %d %q", resp.StatusCode, ct)
	}
	msgs := make(chan sseMessage, 100)
	go readSSE(t, resp, msgs)

	if m := next(t, msgs, true); m.id != "1" || m.retry != "2000" || m.data != "" {
		t.Errorf("first block = %+v; want retry and the starting id 1", m)
	}
	for _, want := range []string{"2", "3"} {
		m := next(t, msgs, true)
		var ev store.AgentEvent
		if err := json.Unmarshal([]byte(m.data), &ev); err != nil || m.id != want || ev.Kind != "offer" || want != jsonID(ev) {
			t.Errorf("event = %+v (%v); want id %s", m, err, want)
		}
	}
	// A new event is sent when the stream is woken (polling is an hour away).
	f.add("assigned")
	if m := next(t, msgs, true); m.id != "4" || !strings.Contains(m.data, `"kind":"assigned"`) {
		t.Errorf("woken event = %+v", m)
	}
	// Idle: heartbeats.
	if m := next(t, msgs, false); m.comment != "heartbeat" {
		t.Errorf("idle stream sent %+v; want a heartbeat", m)
	}
	// More than a batch at once: all, in order.
	for range eventBatch + 5 {
		f.add("message_failed")
	}
	for want := 5; want <= 4+eventBatch+5; want++ {
		if m := next(t, msgs, true); m.id != strconv.Itoa(want) {
			t.Fatalf("event id %s; want %d", m.id, want)
		}
	}
	// The client leaves: the handler returns.
	cancel()
	select {
	case <-handlerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not return after the client left")
	}

	// A second stream ends when the server stops, and the client sees the end.
	req2, _ := http.NewRequest("GET", srv.URL+"?after=0", nil)
	resp2, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	msgs2 := make(chan sseMessage, 200)
	go readSSE(t, resp2, msgs2)
	if m := next(t, msgs2, true); m.id != "0" {
		t.Errorf("?after=0 starts at %+v", m)
	}
	if m := next(t, msgs2, true); m.id != "1" {
		t.Errorf("?after=0 first event %+v; want id 1", m)
	}
	close(stopping)
	select {
	case <-handlerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not return when the server stopped")
	}
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-msgs2:
		case <-deadline:
			t.Fatal("the client did not see the stream end")
		}
	}
}

func jsonID(ev store.AgentEvent) string { return strconv.FormatInt(ev.ID, 10) }

func TestEventsAfter(t *testing.T) {
	for _, c := range []struct {
		header, query string
		after         int64
		given, bad    bool
	}{
		{},
		{header: "42", after: 42, given: true},
		{header: "42", query: "after=7", after: 42, given: true},
		{query: "after=7", after: 7, given: true},
		{query: "after=0", after: 0, given: true},
		{header: "x", bad: true},
		{header: "-1", bad: true},
		{query: "after=", bad: true},
		{query: "after=1.5", bad: true},
	} {
		r := httptest.NewRequest("GET", "/v1/events?"+c.query, nil)
		if c.header != "" {
			r.Header.Set("Last-Event-ID", c.header)
		}
		after, given, err := eventsAfter(r)
		if (err != nil) != c.bad || !c.bad && (after != c.after || given != c.given) {
			t.Errorf("header %q query %q: %d %v %v", c.header, c.query, after, given, err)
		}
	}
}

// TestStreamOutlivesServerTimeouts: the api's http.Server has read and write timeouts;
// an event stream must outlive them (it lifts the read deadline and extends the write
// deadline at every wait), or every console would reconnect every minute.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	f := &fakeEvents{wake: make(chan struct{}, 1)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := eventSource{fetch: f.fetch, wake: f.wake, stopping: make(chan struct{}), poll: time.Hour,
			heartbeat: 50 * time.Millisecond, writeTimeout: 200 * time.Millisecond, log: slog.New(slog.DiscardHandler)}
		_ = src.stream(r.Context(), w, 0)
	}))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msgs := make(chan sseMessage, 100)
	go readSSE(t, resp, msgs)
	start := time.Now()
	// Heartbeats must keep coming well past both timeouts (five times over).
	for time.Since(start) < time.Second {
		select {
		case _, ok := <-msgs:
			if !ok {
				t.Fatalf("stream closed after %s; the server's 200ms timeouts cut it", time.Since(start).Round(time.Millisecond))
			}
		case <-time.After(2 * time.Second):
			t.Fatal("no heartbeat for 2s")
		}
	}
	f.add("offer") // and events still arrive
	for m := range msgs {
		if m.data != "" {
			return
		}
	}
	t.Fatal("stream ended before the event")
}
