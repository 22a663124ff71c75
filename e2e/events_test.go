package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// sseStream is an open GET /v1/events, read line by line as it arrives.
type sseStream struct {
	t      *testing.T
	cancel context.CancelFunc
	blocks chan sseBlock
	ended  chan time.Time // receives when the server ends the stream
	// skip: kinds next and none pass over (a test of the stream's mechanics leaves out
	// the team-wide events its actions cause).
	skip []string
}

// teamWideKinds are the events a team's members receive about each other's work.
var teamWideKinds = []string{"conversation_new", "conversation_left_new", "offer_taken", "inbox_counts_changed", "presence_changed"}

// skipped reports whether a block is an event of a kind the stream passes over.
func (st *sseStream) skipped(b sseBlock) bool {
	var ev struct{ Kind string }
	return len(st.skip) > 0 && json.Unmarshal([]byte(b.data), &ev) == nil && slices.Contains(st.skip, ev.Kind)
}

// sseBlock is one block of the stream: an event (id and data), a bare id, or a comment.
type sseBlock struct {
	id, data, comment string
}

func (s *stack) openEvents(token, lastEventID, query string) *sseStream {
	s.t.Helper()
	return s.openEventsWith(map[string]string{"Authorization": "Bearer " + token}, lastEventID, query)
}

// openEventsWith opens the stream with these headers (a token, or a session cookie).
func (s *stack) openEventsWith(header map[string]string, lastEventID, query string) *sseStream {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.apiURL+"/v1/events"+query, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := s.apiClient.Do(req)
	if err != nil {
		cancel()
		s.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		s.t.Fatalf("GET /v1/events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	st := &sseStream{t: s.t, cancel: cancel, blocks: make(chan sseBlock, 1000), ended: make(chan time.Time, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var b sseBlock
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "":
				st.blocks <- b
				b = sseBlock{}
			case strings.HasPrefix(line, ":"):
				b.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "id: "):
				b.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				b.data = line[6:]
			}
		}
		if sc.Err() == nil { // EOF: the server ended the stream (not our cancel)
			st.ended <- time.Now()
		}
		close(st.blocks)
	}()
	// Not cancelled at cleanup: the server's shutdown ends every stream (TestEventStream
	// checks that it does).
	return st
}

// next returns the next event (skipping heartbeats and bare ids), or fails after 10 s.
func (st *sseStream) next() (int64, store.AgentEvent) {
	st.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case b, ok := <-st.blocks:
			if !ok {
				st.t.Fatal("the event stream ended")
			}
			if b.data == "" || st.skipped(b) {
				continue
			}
			id, err := strconv.ParseInt(b.id, 10, 64)
			var ev store.AgentEvent
			if err == nil {
				err = json.Unmarshal([]byte(b.data), &ev)
			}
			if err != nil || ev.ID != id {
				st.t.Fatalf("event block %+v: %v", b, err)
			}
			checkEventSchema(st.t, b.data)
			return id, ev
		case <-deadline:
			st.t.Fatal("no event within 10s")
		}
	}
}

// start returns the id the stream starts after (its first block).
func (st *sseStream) start() int64 {
	st.t.Helper()
	select {
	case b := <-st.blocks:
		id, err := strconv.ParseInt(b.id, 10, 64)
		if err != nil || b.data != "" {
			st.t.Fatalf("first block %+v; want the starting id", b)
		}
		return id
	case <-time.After(10 * time.Second):
		st.t.Fatal("no first block within 10s")
	}
	return 0
}

// none fails if an event was already received beyond those the test read.
func (st *sseStream) none() {
	st.t.Helper()
	select {
	case b := <-st.blocks:
		if b.data != "" && !st.skipped(b) {
			st.t.Errorf("unexpected event %+v", b)
		}
	default:
	}
}

// checkEventSchema validates an event's JSON against the Event schema of api/openapi.yaml
// (the validating client cannot read a stream's body).
func checkEventSchema(t *testing.T, data string) {
	t.Helper()
	spec, err := loadOpenAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatal(err)
	}
	if err := spec.doc.Components.Schemas["Event"].Value.VisitJSON(v); err != nil {
		t.Errorf("event %s does not match the Event schema: %v", data, err)
	}
}

// An agent's events arrive on the stream as they happen (a real offer among them); a
// reconnect with Last-Event-ID or ?after= resumes with nothing lost and nothing
// repeated; other users' events never show; a commit that lands out of id order is not
// skipped; the stream ends when the server shuts down.
func TestEventStream(t *testing.T) {
	// Registered before the stack, so it runs after the stack's shutdown (cleanups run
	// last-in first-out): the stream open at the end must have ended promptly with it.
	var shutdownStarted time.Time
	var last *sseStream
	t.Cleanup(func() {
		if last == nil {
			return // the test stopped before opening it
		}
		select {
		case at := <-last.ended:
			if took := at.Sub(shutdownStarted); took > 5*time.Second {
				t.Errorf("the stream ended %s after shutdown began; want promptly", took)
			}
		case <-time.After(5 * time.Second):
			t.Error("the stream did not end when the server shut down")
		}
	})
	s := startStack(t, true, "")
	t.Cleanup(func() { shutdownStarted = time.Now() })
	ctx := context.Background()
	// The offer made below must not expire into more events while the test reads.
	if err := s.store.SetTeamRules(ctx, s.team.ID, store.TeamRules{OfferTimeoutSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	me := s.newAgent("me", "")
	bob := s.newAgent("bob", "")
	conv := s.seed(seed{status: conversation.StatusNew}).ID

	for _, c := range []struct {
		name, token, header, query string
		status                     int
	}{
		{"no token", "", "", "", 401},
		{"bad Last-Event-ID", me.token, "latest", "", 400},
		{"bad after", me.token, "", "?after=-1", 400},
	} {
		req, _ := http.NewRequest("GET", s.apiURL+"/v1/events"+c.query, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if c.header != "" {
			req.Header.Set("Last-Event-ID", c.header)
		}
		resp, err := s.apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d; want %d", c.name, resp.StatusCode, c.status)
		}
	}

	// An event from before the stream opened is not sent to a stream without a position.
	if err := s.store.AddAgentEvent(ctx, me.user.ID, conv, conversation.NotifyAssigned, "before"); err != nil {
		t.Fatal(err)
	}
	st := s.openEvents(me.token, "", "")
	st.skip = teamWideKinds
	startedAfter := st.start()

	// A real offer, then events recorded directly; bob's never reach me.
	if err := s.store.AddAgentEvent(ctx, bob.user.ID, conv, conversation.NotifyAssigned, "for bob"); err != nil {
		t.Fatal(err)
	}
	s.mustAct(me, "PUT", "/v1/me/presence", map[string]string{"state": "available"}, http.StatusOK)
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: newPhone(), To: s.teamPhone, Body: "hi"}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound: %d %v", code, err)
	}
	id1, ev := st.next()
	if ev.Kind != string(conversation.NotifyOffer) || ev.ConversationID == nil || id1 <= startedAfter {
		t.Fatalf("first event = %+v; want the offer, after %d", ev, startedAfter)
	}
	if err := s.store.AddAgentEvent(ctx, me.user.ID, conv, conversation.NotifyUnassigned, "second"); err != nil {
		t.Fatal(err)
	}
	id2, ev := st.next()
	if ev.Kind != "unassigned" || ev.Text != "second" || *ev.ConversationID != conv || id2 <= id1 {
		t.Fatalf("second event = %d %+v", id2, ev)
	}
	st.cancel()

	// Missed while disconnected, then resumed from the last id seen.
	for _, text := range []string{"third", "fourth"} {
		if err := s.store.AddAgentEvent(ctx, me.user.ID, conv, conversation.NotifyReopened, text); err != nil {
			t.Fatal(err)
		}
	}
	st = s.openEvents(me.token, strconv.FormatInt(id2, 10), "?after=0") // the header wins over ?after=
	st.skip = teamWideKinds
	if got := st.start(); got != id2 {
		t.Errorf("resumed stream starts after %d; want %d", got, id2)
	}
	id3, ev3 := st.next()
	id4, ev4 := st.next()
	if ev3.Text != "third" || ev4.Text != "fourth" || !(id2 < id3 && id3 < id4) {
		t.Errorf("resumed with %d %q, %d %q; want third then fourth", id3, ev3.Text, id4, ev4.Text)
	}
	st.none()
	st.cancel()

	// ?after=0 replays everything kept, in order.
	st = s.openEvents(me.token, "", "?after=0")
	st.skip = teamWideKinds
	st.start()
	var texts []string
	for range 5 {
		_, ev := st.next()
		texts = append(texts, ev.Text)
	}
	if texts[0] != "before" || texts[2] != "second" || texts[4] != "fourth" {
		t.Errorf("replay = %q", texts)
	}
	st.cancel()

	// An event whose transaction commits after a later one's must still be sent: the
	// later insert waits for the earlier commit, so ids become visible in order.
	st = s.openEvents(me.token, strconv.FormatInt(id4, 10), "")
	st.skip = teamWideKinds
	st.start()
	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO agent_events (user_id, conversation_id, kind, text) VALUES ($1, $2, 'offer', 'slow')`,
		me.user.ID, conv); err != nil {
		t.Fatal(err)
	}
	fast := make(chan error, 1)
	go func() { fast <- s.store.AddAgentEvent(ctx, me.user.ID, conv, conversation.NotifyAssigned, "fast") }()
	eventually(t, "the second insert waiting for the first", func() bool {
		var waiting int
		err := s.dbQueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
			AND query LIKE 'INSERT INTO agent_events%'`).Scan(&waiting)
		return err == nil && waiting == 1
	})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-fast; err != nil {
		t.Fatal(err)
	}
	idSlow, evSlow := st.next()
	idFast, evFast := st.next()
	if evSlow.Text != "slow" || evFast.Text != "fast" || idSlow >= idFast {
		t.Errorf("got %d %q then %d %q; want slow then fast, ids increasing", idSlow, evSlow.Text, idFast, evFast.Text)
	}
	st.cancel()

	// This one stays open until the stack shuts down (checked by the first cleanup).
	last = s.openEvents(me.token, "", "")
	last.skip = teamWideKinds
	last.start()
}

// dbQueryRow runs a query on the test database.
func (s *stack) dbQueryRow(sql string, args ...any) pgx.Row {
	conn, err := pgx.Connect(context.Background(), env.DatabaseURL)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn.QueryRow(context.Background(), sql, args...)
}

// Pruning deletes the events older than the cutoff, in batches, and nothing newer.
func TestPruneAgentEvents(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := s.newAgent("pruned", "")
	conv := s.seed(seed{status: conversation.StatusNew})
	for i := range 5 {
		if err := s.store.AddAgentEvent(ctx, me.user.ID, conv.ID, conversation.NotifyAssigned, "event "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Three of them are 40 days old.
	if _, err := conn.Exec(ctx, `UPDATE agent_events SET created_at = now() - interval '40 days'
		WHERE user_id = $1 AND text IN ('event 0', 'event 1', 'event 2')`, me.user.ID); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().Add(-30 * 24 * time.Hour)
	var deleted int64
	for {
		n, err := s.store.PruneAgentEvents(ctx, cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		deleted += n
		if n < 2 {
			break
		}
	}
	var left []string
	// (The seeded conversation's team-wide events are left out: they are not the test's.)
	rows, err := conn.Query(ctx, `SELECT text FROM agent_events WHERE user_id = $1 AND kind = 'assigned' ORDER BY id`, me.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"event 3", "event 4"}) {
		t.Errorf("left %v; want the two recent events", left)
	}
	if deleted < 3 {
		t.Errorf("deleted %d; want at least the 3 old ones", deleted)
	}
}
