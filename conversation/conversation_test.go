package conversation_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/textdesk/textdesk/conversation"
)

var (
	t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) // when the conversation opened
	t1 = t0.Add(time.Minute)                         // when the event under test happens
)

const (
	inboundID    = "3b7f0c52-8a0e-5d8c-9c1e-1f2a3b4c5d6e"
	replyID      = "c0a80164-0000-4000-8000-000000000001"
	agentID      = "agent-1"
	autoResponse = "We are closed; we will text you back in the morning."
)

// base is a conversation as the inbound webhook opens it: new, waiting for an agent.
func base() conversation.State {
	return conversation.State{
		ID: "conv-1", TeamID: "team-1", ContactID: "contact-1",
		TeamNumber: "+15550000001", Contact: "+15550000002",
		Status: conversation.StatusNew, NextAction: conversation.ActorAgent,
		NextActionSince: t0, OpenedAt: t0, Version: 7,
	}
}

// with returns base() changed by f.
func with(f func(*conversation.State)) conversation.State {
	s := base()
	f(&s)
	return s
}

func inbound(chatOn bool, text string) conversation.InboundReceived {
	return conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: chatOn, AutoResponse: text}
}

func reply(body string) conversation.ReplyRequested {
	return conversation.ReplyRequested{MessageID: replyID, AuthorID: agentID, Body: body, At: t1}
}

func autoResponseCmd() conversation.SendMessage {
	return conversation.SendMessage{
		MessageID: conversation.AutoResponseID(inboundID),
		Kind:      conversation.KindAutoResponse,
		Body:      autoResponse,
	}
}

// applyCase is one event against one state. in builds the input afresh on every call,
// so the input Apply saw can be compared with an untouched twin. For an accepted event
// want is the whole expected state except Version, which must be exactly one more than
// the input's; for a refused event the state must come back unchanged.
type applyCase struct {
	name     string
	in       func() conversation.State
	ev       conversation.Event
	want     conversation.State
	wantCmds []conversation.Command
	wantCode string // "" = accepted
}

func runApplyCases(t *testing.T, cases []applyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			got, cmds, err := conversation.Apply(in, tc.ev)

			if !reflect.DeepEqual(in, tc.in()) {
				t.Fatalf("Apply mutated its input:\n got %+v\nwant %+v", in, tc.in())
			}
			if tc.wantCode != "" {
				if err == nil {
					t.Fatalf("Apply accepted the event; want error %q (state %+v, cmds %#v)", tc.wantCode, got, cmds)
				}
				var de *conversation.Error
				if !errors.As(err, &de) {
					t.Fatalf("error %v (%T) is not a *conversation.Error", err, err)
				}
				if code := conversation.ErrorCode(err); code != tc.wantCode {
					t.Fatalf("error code = %q (%v), want %q", code, err, tc.wantCode)
				}
				if !reflect.DeepEqual(got, tc.in()) {
					t.Errorf("refused event changed the state:\n got %+v\nwant %+v", got, tc.in())
				}
				if len(cmds) != 0 {
					t.Errorf("refused event produced commands %#v", cmds)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: unexpected error %v", err)
			}
			want := tc.want
			want.Version = in.Version + 1
			if !reflect.DeepEqual(got, want) {
				t.Errorf("state:\n got %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(cmds, tc.wantCmds) {
				t.Errorf("commands:\n got %#v\nwant %#v", cmds, tc.wantCmds)
			}
		})
	}
}

// fresh turns a state constructor into applyCase.in.
func fresh(f func(*conversation.State)) func() conversation.State {
	return func() conversation.State { return with(f) }
}

func unchanged(*conversation.State) {}

func TestApplyInbound(t *testing.T) {
	save := []conversation.Command{conversation.SaveState{}}
	active := func(s *conversation.State) {
		s.Status = conversation.StatusActive
		s.Assignees = []string{agentID}
		s.NextAction = conversation.ActorCustomer
	}
	runApplyCases(t, []applyCase{
		{
			// An unassigned new conversation is also handed to routing (ReserveAgent).
			name: "chat on: new stays new, agent still next, since unchanged",
			in:   fresh(unchanged),
			ev:   inbound(true, autoResponse),
			want: with(func(s *conversation.State) {
				s.LastMessageAt = t1
				s.Seq, s.RouteAttempt = 1, 1
			}),
			wantCmds: []conversation.Command{
				conversation.ReserveAgent{Attempt: 1, TeamID: "team-1"},
				conversation.SaveState{},
			},
		},
		{
			name: "chat on: active waiting on customer hands the turn to the agent, since moves",
			in:   fresh(active),
			ev:   inbound(true, autoResponse),
			want: with(func(s *conversation.State) {
				active(s)
				s.NextAction = conversation.ActorAgent
				s.NextActionSince = t1
				s.LastMessageAt = t1
			}),
			wantCmds: save,
		},
		{
			name: "chat off: new becomes missed and gets exactly one auto-response",
			in:   fresh(unchanged),
			ev:   inbound(false, autoResponse),
			want: with(func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.LastMessageAt = t1
				s.AutoResponseSentAt = t1
			}),
			wantCmds: []conversation.Command{autoResponseCmd(), conversation.SaveState{}},
		},
		{
			name: "chat off: a second inbound on a missed conversation sends no second auto-response",
			in: fresh(func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.AutoResponseSentAt = t0
				s.LastMessageAt = t0
			}),
			ev: inbound(false, autoResponse),
			want: with(func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.AutoResponseSentAt = t0
				s.LastMessageAt = t1
			}),
			wantCmds: save,
		},
		{
			name: "chat off without auto-response text: missed, nothing sent",
			in:   fresh(unchanged),
			ev:   inbound(false, ""),
			want: with(func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.LastMessageAt = t1
			}),
			wantCmds: save,
		},
		{
			name: "chat off: an active conversation stays active and gets no auto-response",
			in:   fresh(active),
			ev:   inbound(false, autoResponse),
			want: with(func(s *conversation.State) {
				active(s)
				s.NextAction = conversation.ActorAgent
				s.NextActionSince = t1
				s.LastMessageAt = t1
			}),
			wantCmds: save,
		},
		{
			// A missed conversation whose team turned chat back on must not be told the
			// team is away: it waits for an agent again.
			name: "chat back on: missed returns to new, no auto-response",
			in:   fresh(func(s *conversation.State) { s.Status = conversation.StatusMissed }),
			ev:   inbound(true, autoResponse),
			want: with(func(s *conversation.State) {
				s.LastMessageAt = t1
				s.Seq, s.RouteAttempt = 1, 1
			}),
			wantCmds: []conversation.Command{
				conversation.ReserveAgent{Attempt: 1, TeamID: "team-1"},
				conversation.SaveState{},
			},
		},
		{
			name:     "closed conversation refuses inbound",
			in:       fresh(func(s *conversation.State) { s.Status = conversation.StatusClosed }),
			ev:       inbound(false, autoResponse),
			wantCode: conversation.EConflict,
		},
	})
}

func TestApplyReply(t *testing.T) {
	sendAndSave := func(body string) []conversation.Command {
		return []conversation.Command{
			conversation.SendMessage{MessageID: replyID, Kind: conversation.KindText, AuthorID: agentID, Body: body},
			conversation.SaveState{},
		}
	}
	// Replying to an unassigned conversation takes it.
	activeFrom := func(st conversation.Status) applyCase {
		return applyCase{
			name: string(st) + " becomes active, customer next",
			in:   fresh(func(s *conversation.State) { s.Status = st }),
			ev:   reply("Hi, how can I help?"),
			want: with(func(s *conversation.State) {
				s.Status = conversation.StatusActive
				s.Assignees = []string{agentID}
				s.NextAction = conversation.ActorCustomer
				s.NextActionSince = t1
				s.LastMessageAt = t1
			}),
			wantCmds: sendAndSave("Hi, how can I help?"),
		}
	}
	exactly1000 := strings.Repeat("é", conversation.MaxBodyLength) // 2000 bytes, 1000 runes
	refused := func(name string, st conversation.Status, ev conversation.ReplyRequested, code string) applyCase {
		return applyCase{name: name, in: fresh(func(s *conversation.State) { s.Status = st }), ev: ev, wantCode: code}
	}
	noID := reply("hello")
	noID.MessageID = ""
	noAuthor := reply("hello")
	noAuthor.AuthorID = ""

	runApplyCases(t, []applyCase{
		activeFrom(conversation.StatusNew),
		activeFrom(conversation.StatusMissed),
		{
			name: "active waiting on customer: since stays when the actor does not change",
			in: fresh(func(s *conversation.State) {
				s.Status = conversation.StatusActive
				s.Assignees = []string{agentID}
				s.NextAction = conversation.ActorCustomer
			}),
			ev: reply("one more thing"),
			want: with(func(s *conversation.State) {
				s.Status = conversation.StatusActive
				s.Assignees = []string{agentID}
				s.NextAction = conversation.ActorCustomer
				s.LastMessageAt = t1
			}),
			wantCmds: sendAndSave("one more thing"),
		},
		{
			name: "exactly 1000 multi-byte runes accepted",
			in:   fresh(unchanged),
			ev:   reply(exactly1000),
			want: with(func(s *conversation.State) {
				s.Status = conversation.StatusActive
				s.Assignees = []string{agentID}
				s.NextAction = conversation.ActorCustomer
				s.NextActionSince = t1
				s.LastMessageAt = t1
			}),
			wantCmds: sendAndSave(exactly1000),
		},
		refused("closed is read-only", conversation.StatusClosed, reply("hello"), conversation.EConflict),
		refused("wrap_up is read-only", conversation.StatusWrapUp, reply("hello"), conversation.EConflict),
		refused("closed wins over a bad body", conversation.StatusClosed, reply(""), conversation.EConflict),
		refused("empty body", conversation.StatusNew, reply(""), conversation.EInvalid),
		refused("whitespace body", conversation.StatusActive, reply(" \t\r\n\u00a0"), conversation.EInvalid),
		refused("missing message id", conversation.StatusNew, noID, conversation.EInvalid),
		refused("missing author", conversation.StatusNew, noAuthor, conversation.EInvalid),
		refused("1001 runes", conversation.StatusNew, reply(exactly1000+"x"), conversation.EUnprocessable),
		refused("invalid UTF-8", conversation.StatusNew, reply("hi \xff\xfe"), conversation.EInvalid),
		{
			name: "assigned to another agent",
			in: fresh(func(s *conversation.State) {
				s.Status = conversation.StatusActive
				s.Assignees = []string{"agent-2"}
			}),
			ev:       reply("hello"),
			wantCode: conversation.EForbidden,
		},
	})
}

func TestApplyUnknownEvent(t *testing.T) {
	in := base()
	got, cmds, err := conversation.Apply(in, nil)
	if code := conversation.ErrorCode(err); code != conversation.EInternal {
		t.Fatalf("Apply(nil event) error = %v (code %q), want code %q", err, code, conversation.EInternal)
	}
	if !reflect.DeepEqual(got, base()) || cmds != nil {
		t.Fatalf("Apply(nil event) = %+v, %#v; want input unchanged and no commands", got, cmds)
	}
}

// busy is a conversation with every reference-typed field in use: assignees, a pending
// offer and scheduled messages. Each call builds new backing arrays and a new Offer.
func busy() conversation.State {
	s := base()
	s.Status = conversation.StatusActive
	s.Assignees = []string{agentID, "agent-2"}
	s.Offer = &conversation.Offer{Seq: 3, Kind: conversation.OfferConference, UserID: "agent-3",
		FromUserID: agentID, OfferedAt: t0, ExpiresAt: t1.Add(time.Minute)}
	s.Seq = 3
	s.Scheduled = []conversation.Scheduled{
		{ID: "sc-1", Body: "reminder", SendAt: t0.Add(time.Second)},
		{ID: "sc-2", Body: "follow-up", SendAt: t1.Add(time.Hour)},
	}
	s.Settings = conversation.DefaultSettings()
	return s
}

func busyNoOffer() conversation.State {
	s := busy()
	s.Offer = nil
	return s
}

func busyWrapUp() conversation.State {
	s := busyNoOffer()
	s.Status = conversation.StatusWrapUp
	s.WrapUpDeadline = t1.Add(time.Minute)
	return s
}

// TestApplyNeverMutatesInput throws every kind of event at conversations whose slices
// and offer are shared with the caller, and checks the caller's copy is untouched and
// not aliased by a changed result.
func TestApplyNeverMutatesInput(t *testing.T) {
	admin := conversation.Caller{UserID: "admin-1", Admin: true}
	owner := conversation.Caller{UserID: agentID}
	later := t1.Add(2 * time.Hour)
	for _, tc := range []struct {
		state func() conversation.State
		ev    conversation.Event
	}{
		{busy, inbound(true, autoResponse)},
		{busy, inbound(false, autoResponse)},
		{busyWrapUp, inbound(true, autoResponse)},
		{busy, conversation.RouteRequested{At: t1, ChatOn: true}},
		{busy, conversation.AgentReserved{Attempt: 3, UserID: "agent-4", At: t1}},
		{busy, conversation.Tick{At: later}},
		{busyWrapUp, conversation.Tick{At: later}},
		{busy, conversation.Accepted{By: conversation.Caller{UserID: "agent-3"}, At: t1}},
		{busy, reply("hello")},
		{busy, conversation.NoteAdded{MessageID: "note-1", By: owner, Body: "internal", At: t1}},
		{busy, conversation.AssignRequested{By: admin, UserIDs: []string{"agent-5", agentID}, At: t1}},
		{busyNoOffer, conversation.TransferRequested{By: owner, ToUserID: "agent-7", At: t1}},
		{busyNoOffer, conversation.TransferRequested{By: owner, ToTeamID: "team-2", At: t1}},
		{busyNoOffer, conversation.ConferenceRequested{By: owner, UserID: "agent-6", At: t1}},
		{busy, conversation.ConferenceLeft{By: owner, UserID: "agent-2", At: t1}},
		{busy, conversation.EndRequested{By: owner, At: t1}},
		{busyWrapUp, conversation.WrapUpSubmitted{By: owner, Reason: "solved", ClosingMessageID: "bye-1", ClosingMessage: "Bye!", At: t1}},
		{busy, conversation.ArchiveRequested{By: owner, At: t1}},
		{busy, conversation.DeleteRequested{By: admin, At: t1}},
		{busy, conversation.ScheduleRequested{Scheduled: conversation.Scheduled{ID: "sc-0", Body: "first", SendAt: t0.Add(time.Millisecond)}, At: t1}},
		{busy, conversation.ScheduleCancelled{ID: "sc-1", At: t1}},
	} {
		t.Run(fmt.Sprintf("%T", tc.ev), func(t *testing.T) {
			in := tc.state()
			got, _, err := conversation.Apply(in, tc.ev)
			if !reflect.DeepEqual(in, tc.state()) {
				t.Fatalf("Apply(%#v) mutated its input:\n got %+v\nwant %+v", tc.ev, in, tc.state())
			}
			if err != nil {
				// Every event here is valid for its state, so the copying paths run.
				t.Fatalf("Apply(%#v) refused: %v; pick a state that accepts it", tc.ev, err)
			}
			if got.Version == in.Version {
				return // no-op: the result is the input itself
			}
			// A changed result must not share memory with the input either: changing it
			// afterwards leaves the input alone.
			for i := range got.Assignees {
				got.Assignees[i] = "scribbled"
			}
			for i := range got.Scheduled {
				got.Scheduled[i].Body = "scribbled"
			}
			if got.Offer != nil {
				got.Offer.UserID = "scribbled"
			}
			if !reflect.DeepEqual(in, tc.state()) {
				t.Fatalf("the result of Apply(%#v) aliases its input", tc.ev)
			}
		})
	}
}

// TestApplySequence runs a whole conversation through Apply: two texts while chat is off,
// a refused reply, a reply, and an answer. The auto-response goes out once and Version
// counts only the accepted events.
func TestApplySequence(t *testing.T) {
	s := base()
	startVersion := s.Version
	var sends []conversation.SendMessage
	accepted := 0
	step := func(ev conversation.Event, wantErr bool) {
		t.Helper()
		next, cmds, err := conversation.Apply(s, ev)
		if (err != nil) != wantErr {
			t.Fatalf("Apply(%#v): err = %v, wantErr %v", ev, err, wantErr)
		}
		if err != nil {
			if !reflect.DeepEqual(next, s) {
				t.Fatalf("refused event changed state")
			}
			return
		}
		accepted++
		if next.Version != s.Version+1 {
			t.Fatalf("Version %d -> %d; want +1", s.Version, next.Version)
		}
		if _, ok := cmds[len(cmds)-1].(conversation.SaveState); !ok {
			t.Fatalf("last command is %#v; want SaveState", cmds[len(cmds)-1])
		}
		for _, c := range cmds {
			if m, ok := c.(conversation.SendMessage); ok {
				sends = append(sends, m)
			}
		}
		s = next
	}

	first := inbound(false, autoResponse)
	second := inbound(false, autoResponse)
	second.MessageID, second.At = "second-inbound", t1.Add(time.Minute)
	step(first, false)
	step(second, false)
	step(reply(""), true)
	step(reply("Sorry, we are back now."), false)
	answer := inbound(true, autoResponse)
	answer.MessageID, answer.At = "third-inbound", t1.Add(time.Hour)
	step(answer, false)

	if s.Status != conversation.StatusActive || s.NextAction != conversation.ActorAgent {
		t.Errorf("final status/next = %s/%s; want active/agent", s.Status, s.NextAction)
	}
	if s.NextActionSince != answer.At {
		t.Errorf("NextActionSince = %v; want %v", s.NextActionSince, answer.At)
	}
	if s.AutoResponseSentAt != first.At {
		t.Errorf("AutoResponseSentAt = %v; want the first inbound's time %v", s.AutoResponseSentAt, first.At)
	}
	if got, want := s.Version, startVersion+int64(accepted); got != want || accepted != 4 {
		t.Errorf("Version = %d after %d accepted events; want %d and 4 accepted", got, accepted, want)
	}
	if len(sends) != 2 || sends[0].Kind != conversation.KindAutoResponse || sends[1].Kind != conversation.KindText {
		t.Fatalf("sends = %#v; want one auto-response then one text", sends)
	}
	if sends[0].MessageID != conversation.AutoResponseID(first.MessageID) {
		t.Errorf("auto-response id %s; want AutoResponseID(first inbound)", sends[0].MessageID)
	}
}

func TestAutoResponseID(t *testing.T) {
	a, b := conversation.AutoResponseID("m1"), conversation.AutoResponseID("m2")
	if a != conversation.AutoResponseID("m1") {
		t.Error("AutoResponseID is not deterministic")
	}
	if a == b || a == "m1" {
		t.Errorf("AutoResponseID(m1)=%s, AutoResponseID(m2)=%s; want distinct ids unlike the input", a, b)
	}
}

func TestValidateBody(t *testing.T) {
	for _, tc := range []struct {
		name, body, code string
	}{
		{"plain", "hello", ""},
		{"surrounding space kept", "  hi  ", ""},
		{"1000 ascii", strings.Repeat("a", 1000), ""},
		{"1000 emoji (4 bytes each)", strings.Repeat("😀", 1000), ""},
		{"empty", "", conversation.EInvalid},
		{"spaces", "   ", conversation.EInvalid},
		{"newlines and tabs", "\n\t\r\n", conversation.EInvalid},
		{"unicode spaces", "\u00a0\u2003\u3000", conversation.EInvalid},
		{"invalid UTF-8", "\xff", conversation.EInvalid},
		{"truncated multi-byte rune", "ok \xe2\x82", conversation.EInvalid},
		{"1001 ascii", strings.Repeat("a", 1001), conversation.EUnprocessable},
		{"1001 multi-byte", strings.Repeat("é", 1001), conversation.EUnprocessable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := conversation.ValidateBody(tc.body)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("ValidateBody: %v; want accepted", err)
				}
				return
			}
			if got := conversation.ErrorCode(err); err == nil || got != tc.code {
				t.Fatalf("ValidateBody error = %v (code %q); want code %q", err, got, tc.code)
			}
		})
	}
}

func TestValidateReply(t *testing.T) {
	ok := reply("hello")
	noID := ok
	noID.MessageID = ""
	for _, tc := range []struct {
		name   string
		status conversation.Status
		ev     conversation.ReplyRequested
		code   string
	}{
		{"new", conversation.StatusNew, ok, ""},
		{"missed", conversation.StatusMissed, ok, ""},
		{"active", conversation.StatusActive, ok, ""},
		{"wrap_up", conversation.StatusWrapUp, ok, conversation.EConflict},
		{"closed", conversation.StatusClosed, ok, conversation.EConflict},
		{"no message id", conversation.StatusActive, noID, conversation.EInvalid},
		{"blank body", conversation.StatusActive, reply(" "), conversation.EInvalid},
		{"too long", conversation.StatusActive, reply(strings.Repeat("x", 1001)), conversation.EUnprocessable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := with(func(s *conversation.State) { s.Status = tc.status })
			err := conversation.ValidateReply(s, tc.ev)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("ValidateReply: %v; want accepted", err)
				}
				return
			}
			if got := conversation.ErrorCode(err); err == nil || got != tc.code {
				t.Fatalf("ValidateReply error = %v (code %q); want code %q", err, got, tc.code)
			}
		})
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	de := conversation.Errorf(conversation.EConflict, "conversation is %s", "closed")
	wrapped := errors.Join(errors.New("context"), de)
	if got := conversation.ErrorCode(wrapped); got != conversation.EConflict {
		t.Errorf("ErrorCode(wrapped) = %q; want %q", got, conversation.EConflict)
	}
	if got := conversation.ErrorMessage(wrapped); got != "conversation is closed" {
		t.Errorf("ErrorMessage(wrapped) = %q", got)
	}
	plain := errors.New("dial tcp: secret internal detail")
	if got := conversation.ErrorCode(plain); got != conversation.EInternal {
		t.Errorf("ErrorCode(plain) = %q; want %q", got, conversation.EInternal)
	}
	if got := conversation.ErrorMessage(plain); strings.Contains(got, "secret") {
		t.Errorf("ErrorMessage leaked an internal detail: %q", got)
	}
}

// FuzzValidateBody: ValidateBody never panics, refuses only with the compose codes, and
// accepts exactly the non-blank, valid UTF-8 bodies without NUL (Postgres text cannot
// hold it) of at most MaxBodyLength runes.
func FuzzValidateBody(f *testing.F) {
	for _, seed := range []string{
		"",
		" \t\n",
		"\u00a0",
		"hello",
		"\xff\xfe",
		"ok \xe2\x82",
		strings.Repeat("é", conversation.MaxBodyLength),
		strings.Repeat("a", conversation.MaxBodyLength+1),
		strings.Repeat("😀", conversation.MaxBodyLength) + " ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		err := conversation.ValidateBody(body)
		wantOK := strings.TrimSpace(body) != "" && utf8.ValidString(body) && !strings.ContainsRune(body, 0) &&
			utf8.RuneCountInString(body) <= conversation.MaxBodyLength
		if err == nil {
			if strings.TrimSpace(body) == "" {
				t.Fatalf("accepted a blank body %q", body)
			}
			if n := utf8.RuneCountInString(body); n > conversation.MaxBodyLength {
				t.Fatalf("accepted a body of %d runes", n)
			}
			if !utf8.ValidString(body) {
				t.Fatalf("accepted invalid UTF-8 %q", body)
			}
			return
		}
		if wantOK {
			t.Fatalf("refused a valid body %q: %v", body, err)
		}
		if code := conversation.ErrorCode(err); code != conversation.EInvalid && code != conversation.EUnprocessable {
			t.Fatalf("ValidateBody(%q) code %q; want %q or %q", body, code, conversation.EInvalid, conversation.EUnprocessable)
		}
	})
}
