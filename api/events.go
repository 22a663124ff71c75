package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// The event stream: GET /v1/events sends the caller's agent events (the agent_events
// table) as Server-Sent Events, each with its id as the SSE id. A client that
// reconnects with Last-Event-ID (browsers do it by themselves) or ?after= gets every
// event after that id: the table's insert trigger makes a user's events visible in id
// order, so reading "after the last id sent" leaves no gap. The stream polls the table
// every EventPoll and wakes at once on Postgres NOTIFY; a comment line every
// EventHeartbeat keeps proxies from closing an idle stream.

const (
	defaultEventPoll      = time.Second
	defaultEventHeartbeat = 15 * time.Second
	eventBatch            = 100
	// eventRetry is the reconnection delay the stream asks clients to use.
	eventRetry = 2 * time.Second
)

// events: GET /v1/events — the caller's events as text/event-stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r)
	after, given, err := eventsAfter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !given {
		if after, err = s.Store.LastAgentEventID(r.Context(), user.ID); err != nil {
			writeError(w, r, err)
			return
		}
	}
	wake, unsubscribe, ok := s.hub.subscribe(user.ID, s.Limits.streamsPerUser())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(eventRetry.Seconds())))
		writeError(w, r, &conversation.Error{Code: codeTooManyRequests, Message: fmt.Sprintf(
			"at most %d event streams per user are open at once; close another tab or client first", s.Limits.streamsPerUser())})
		return
	}
	defer unsubscribe()
	eventStreamsOpen.Inc()
	defer eventStreamsOpen.Dec()
	// The stream ends within CredentialCheck once the caller's credential stops holding.
	ctx, end := context.WithCancel(r.Context())
	defer end()
	defer s.creds.watch(credentialFrom(r), end)()
	src := eventSource{
		fetch: func(ctx context.Context, after int64) ([]store.AgentEvent, error) {
			return s.Store.AgentEvents(ctx, user.ID, after, eventBatch)
		},
		wake:         wake,
		stopping:     s.Stopping,
		log:          loggerFrom(r),
		poll:         cmp.Or(s.EventPoll, defaultEventPoll),
		heartbeat:    cmp.Or(s.EventHeartbeat, defaultEventHeartbeat),
		writeTimeout: cmp.Or(s.WriteTimeout, defaultStreamWriteTimeout),
	}
	if err := src.stream(ctx, w, after); err != nil && r.Context().Err() == nil {
		loggerFrom(r).Warn("event stream ended", "error", err)
	}
}

// eventsAfter reads where the stream resumes: the Last-Event-ID header (a reconnecting
// client's), else ?after=. given is false when neither is there: the stream then starts
// with the events to come.
func eventsAfter(r *http.Request) (after int64, given bool, err error) {
	raw, name := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if raw == "" && r.URL.Query().Has("after") {
		raw, name = r.URL.Query().Get("after"), "after"
	}
	if raw == "" && name == "Last-Event-ID" {
		return 0, false, nil
	}
	after, err = strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || after < 0 {
		return 0, false, conversation.Errorf(conversation.EInvalid, "%s must be the id of an event (a whole number, 0 for all)", name)
	}
	return after, true, nil
}

// eventSource streams one user's events.
type eventSource struct {
	// fetch returns the events after an id, oldest first (at most eventBatch).
	fetch func(ctx context.Context, after int64) ([]store.AgentEvent, error)
	// wake receives when an event may have been added; stopping closes when the server
	// shuts down.
	wake      <-chan struct{}
	stopping  <-chan struct{}
	poll      time.Duration
	heartbeat time.Duration
	// writeTimeout: how long one write may take. The server's read and write timeouts
	// would cut a long-lived stream; the stream lifts the read deadline and moves the
	// write deadline to heartbeat+writeTimeout from now before every wait.
	writeTimeout time.Duration
	log          *slog.Logger
}

const defaultStreamWriteTimeout = 60 * time.Second

// stream writes the events after id after until ctx is done (the client left) or the
// server stops. It first sends the position it starts from as the stream's id, so a
// client that reconnects before any event arrives resumes from there, not from "now".
func (src eventSource) stream(ctx context.Context, w http.ResponseWriter, after int64) error {
	rc := http.NewResponseController(w)
	// Errors mean the connection does not support deadlines (tests' recorders): fine.
	_ = rc.SetReadDeadline(time.Time{})
	extend := func() {
		_ = rc.SetWriteDeadline(time.Now().Add(src.heartbeat + cmp.Or(src.writeTimeout, defaultStreamWriteTimeout)))
	}
	extend()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: %d\nid: %d\n\n", eventRetry.Milliseconds(), after); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil {
		return err
	}
	poll := time.NewTicker(src.poll)
	defer poll.Stop()
	heartbeat := time.NewTicker(src.heartbeat)
	defer heartbeat.Stop()
	failing := false // logged once per outage, not at every tick
	for {
		extend()
		for {
			evs, err := src.fetch(ctx, after)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// Postgres is unreachable for now: keep the stream, retry at the next tick.
				if !failing {
					src.log.Warn("event stream: reading events failed; retrying", "error", err)
				}
				failing = true
				break
			}
			failing = false
			for _, ev := range evs {
				if err := writeEvent(w, ev); err != nil {
					return err
				}
				after = ev.ID
			}
			if len(evs) > 0 {
				if err := rc.Flush(); err != nil {
					return err
				}
			}
			if len(evs) < eventBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-src.stopping:
			return nil
		case <-src.wake:
		case <-poll.C:
		case <-heartbeat.C:
			if _, err := io.WriteString(w, ": heartbeat\n\n"); err != nil {
				return err
			}
			if err := rc.Flush(); err != nil {
				return err
			}
		}
	}
}

// writeEvent writes one event: its id, and the event as JSON on one data line. Events
// are unnamed (SSE type "message"); the JSON's kind says what happened.
func writeEvent(w io.Writer, ev store.AgentEvent) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", ev.ID, data)
	return err
}

// eventHub wakes the streams of a user when Postgres notifies an event for them. One
// LISTEN connection serves every stream of the process; it runs while there is a
// stream, and polling covers any notification it misses (while it reconnects).
type eventHub struct {
	store *store.Store
	log   *slog.Logger

	mu     sync.Mutex
	subs   map[string]map[chan struct{}]struct{}
	n      int
	cancel context.CancelFunc // stops the listener; nil when none runs
}

// subscribe registers a stream of userID unless the user already has limit streams
// in this process (ok false).
func (h *eventHub) subscribe(userID string, limit int) (_ <-chan struct{}, _ func(), ok bool) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs[userID]) >= limit {
		return nil, nil, false
	}
	if h.subs == nil {
		h.subs = map[string]map[chan struct{}]struct{}{}
	}
	if h.subs[userID] == nil {
		h.subs[userID] = map[chan struct{}]struct{}{}
	}
	h.subs[userID][ch] = struct{}{}
	h.n++
	if h.cancel == nil && h.store != nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		go h.listen(ctx)
	}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[userID], ch)
		if len(h.subs[userID]) == 0 {
			delete(h.subs, userID)
		}
		h.n--
		if h.n == 0 && h.cancel != nil {
			h.cancel()
			h.cancel = nil
		}
	}, true
}

func (h *eventHub) wake(userID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[userID] {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

// listen runs the LISTEN connection until ctx is done, reconnecting after failures.
func (h *eventHub) listen(ctx context.Context) {
	wait := time.Second
	for {
		err := h.store.ListenAgentEvents(ctx, func() { wait = time.Second }, h.wake)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("listening for agent events failed; streams poll meanwhile", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}
