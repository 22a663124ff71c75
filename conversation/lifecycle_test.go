package conversation_test

// Table tests for the conversation lifecycle of issue 3: routing and RONA, accept,
// assign, transfer, conference, end and wrap-up, archive and delete, inactivity,
// scheduled messages, the auto-response interval, outbound conversations, the
// next deadline and business hours. Every accepted case compares the whole resulting
// state and the exact command list.

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the business-hours tests load time zones on any machine

	"github.com/textdesk/textdesk/conversation"
)

const (
	agent2  = "agent-2"
	agent3  = "agent-3"
	agent4  = "agent-4"
	adminID = "admin-1"
	team2   = "team-2"
)

var (
	t2 = t1.Add(time.Minute)
	t3 = t1.Add(2 * time.Minute)

	owner = conversation.Caller{UserID: agentID}
	admin = conversation.Caller{UserID: adminID, Admin: true}

	// lifeSettings differ from DefaultSettings in every field, so a case can tell the
	// team's setting was used.
	lifeSettings = conversation.Settings{
		OfferTimeout:         45 * time.Second,
		WrapUpTimeout:        5 * time.Minute,
		InactivityWindow:     48 * time.Hour,
		AutoResponseInterval: 2 * time.Hour,
		DefaultWrapUpReason:  "closed by timeout",
	}
	offerTimeout = lifeSettings.OfferTimeout
)

func by(userID string) conversation.Caller { return conversation.Caller{UserID: userID} }

// life builds a fresh state for a case: base() with the team's settings, changed by
// the given functions in order.
func life(fs ...func(*conversation.State)) func() conversation.State {
	return func() conversation.State {
		s := base()
		s.Settings = lifeSettings
		for _, f := range fs {
			f(&s)
		}
		return s
	}
}

// State shapes, composable with life.
func routing(s *conversation.State) { s.Seq, s.RouteAttempt, s.LastMessageAt = 1, 1, t1 }

func routeOffer(s *conversation.State) {
	s.Seq, s.LastMessageAt = 2, t1
	s.Offer = &conversation.Offer{Seq: 2, Kind: conversation.OfferRoute, UserID: agent2,
		OfferedAt: t1, ExpiresAt: t1.Add(offerTimeout)}
}

func active(s *conversation.State) {
	s.Status = conversation.StatusActive
	s.Assignees = []string{agentID}
	s.NextAction, s.NextActionSince = conversation.ActorCustomer, t0
	s.LastMessageAt = t0
	s.Seq = 3
}

func conferenced(s *conversation.State) { s.Assignees = append(s.Assignees, agent3) }

func pendingOffer(kind conversation.OfferKind, to string) func(*conversation.State) {
	return func(s *conversation.State) {
		s.Seq++
		s.Offer = &conversation.Offer{Seq: s.Seq, Kind: kind, UserID: to, FromUserID: s.Owner(),
			OfferedAt: t1, ExpiresAt: t1.Add(offerTimeout)}
	}
}

func wrappingUp(s *conversation.State) {
	s.Status = conversation.StatusWrapUp
	s.WrapUpDeadline = t1.Add(lifeSettings.WrapUpTimeout)
	s.NextAction, s.NextActionSince = conversation.ActorNone, t1
}

func closed(s *conversation.State) {
	s.Status = conversation.StatusClosed
	s.ClosedAt, s.CloseReason = t1, conversation.ClosedArchived
	s.NextAction, s.NextActionSince = conversation.ActorNone, t1
}

func scheduled(items ...conversation.Scheduled) func(*conversation.State) {
	return func(s *conversation.State) { s.Scheduled = append(s.Scheduled, items...) }
}

func sched(id string, at time.Time) conversation.Scheduled {
	return conversation.Scheduled{ID: id, Body: "message " + id, SendAt: at, AuthorID: agentID}
}

// closedBy is the part of every close: read-only, nobody to act, when and why.
func closedBy(at time.Time, reason, why string) func(*conversation.State) {
	return func(s *conversation.State) {
		s.Status = conversation.StatusClosed
		s.ClosedAt, s.WrapUpDeadline = at, time.Time{}
		s.WrapUpReason, s.CloseReason = reason, why
		if s.NextAction != conversation.ActorNone {
			s.NextAction, s.NextActionSince = conversation.ActorNone, at
		}
		s.Offer, s.RouteAttempt, s.Scheduled = nil, 0, nil
	}
}

// notify is a Notify as the runner compares it: the text is checked to be non-empty
// and then ignored (it is copy for people, not a rule).
func notify(userID string, kind conversation.NotifyKind) conversation.Notify {
	return conversation.Notify{UserID: userID, Kind: kind}
}

var save conversation.Command = conversation.SaveState{}

// lifeCase is one event against one state. want lists the changes the event makes to
// in(); the runner also expects Version to go up by exactly one. noop: accepted, but
// the state comes back as it was (same Version) with no commands at all.
type lifeCase struct {
	name     string
	in       func() conversation.State
	ev       conversation.Event
	want     func(*conversation.State)
	wantCmds []conversation.Command
	noop     bool
	wantCode string
	wantMsg  string // the refusal's message contains this
}

func runLifeCases(t *testing.T, cases []lifeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			got, cmds, err := conversation.Apply(in, tc.ev)
			if !reflect.DeepEqual(in, tc.in()) {
				t.Fatalf("Apply mutated its input:\n got %+v\nwant %+v", in, tc.in())
			}
			switch {
			case tc.wantCode != "":
				if err == nil {
					t.Fatalf("Apply accepted the event; want error %q (state %+v, cmds %#v)", tc.wantCode, got, cmds)
				}
				var de *conversation.Error
				if !errors.As(err, &de) {
					t.Fatalf("error %v (%T) is not a *conversation.Error", err, err)
				}
				if de.Code != tc.wantCode {
					t.Errorf("error = %v; want code %q", err, tc.wantCode)
				}
				if !strings.Contains(de.Message, tc.wantMsg) {
					t.Errorf("error message %q does not mention %q", de.Message, tc.wantMsg)
				}
				if !reflect.DeepEqual(got, tc.in()) || len(cmds) != 0 {
					t.Errorf("refused event changed something: state %+v, cmds %#v", got, cmds)
				}
			case err != nil:
				t.Fatalf("Apply: unexpected error %v", err)
			case tc.noop:
				if !reflect.DeepEqual(got, tc.in()) {
					t.Errorf("state changed:\n got %+v\nwant it unchanged %+v", got, tc.in())
				}
				if len(cmds) != 0 {
					t.Errorf("commands %#v; want none (not even SaveState)", cmds)
				}
			default:
				want := tc.in()
				if tc.want != nil {
					tc.want(&want)
				}
				want.Version++
				if !reflect.DeepEqual(normState(got), normState(want)) {
					t.Errorf("state:\n got %+v\nwant %+v", got, want)
				}
				if gotCmds := normCmds(t, cmds); !reflect.DeepEqual(gotCmds, tc.wantCmds) {
					t.Errorf("commands:\n got %#v\nwant %#v", gotCmds, tc.wantCmds)
				}
			}
		})
	}
}

// normState treats nil and empty slices alike: they serialise to the same thing.
func normState(s conversation.State) conversation.State {
	if len(s.Assignees) == 0 {
		s.Assignees = nil
	}
	if len(s.Scheduled) == 0 {
		s.Scheduled = nil
	}
	if len(s.DefaultAssignees) == 0 {
		s.DefaultAssignees = nil
	}
	return s
}

func normCmds(t *testing.T, cmds []conversation.Command) []conversation.Command {
	t.Helper()
	var out []conversation.Command
	for _, c := range cmds {
		if n, ok := c.(conversation.Notify); ok {
			if n.Text == "" {
				t.Errorf("%#v has no text for the agent", n)
			}
			n.Text = ""
			c = n
		}
		out = append(out, c)
	}
	return out
}

func TestLifecycleRouting(t *testing.T) {
	runLifeCases(t, []lifeCase{
		{
			name: "new unassigned inbound with chat on reserves an agent",
			in:   life(),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				s.LastMessageAt = t1
				s.Seq, s.RouteAttempt = 1, 1
			},
			wantCmds: []conversation.Command{conversation.ReserveAgent{Attempt: 1, TeamID: "team-1"}, save},
		},
		{
			name:     "a second inbound while the reservation is in flight reserves nobody else",
			in:       life(routing),
			ev:       conversation.InboundReceived{MessageID: "second", At: t2, ChatOn: true},
			want:     func(s *conversation.State) { s.LastMessageAt = t2 },
			wantCmds: []conversation.Command{save},
		},
		{
			name: "the reservation for the current attempt offers it until At+OfferTimeout and tells the agent",
			in:   life(routing),
			ev:   conversation.AgentReserved{Attempt: 1, UserID: agent2, At: t2},
			want: func(s *conversation.State) {
				s.RouteAttempt, s.Seq = 0, 2
				s.Offer = &conversation.Offer{Seq: 2, Kind: conversation.OfferRoute, UserID: agent2,
					OfferedAt: t2, ExpiresAt: t2.Add(offerTimeout)}
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyOffer), save},
		},
		{
			// The save drops the reservation row the stale attempt wrote.
			name:     "a stale reservation (older attempt) makes no offer but still saves",
			in:       life(func(s *conversation.State) { s.Seq, s.RouteAttempt = 2, 2 }),
			ev:       conversation.AgentReserved{Attempt: 1, UserID: agent2, At: t2},
			wantCmds: []conversation.Command{save},
		},
		{
			name:     "a reservation after an agent took the conversation is stale",
			in:       life(active),
			ev:       conversation.AgentReserved{Attempt: 1, UserID: agent2, At: t2},
			wantCmds: []conversation.Command{save},
		},
		{
			name:     "nobody free: no offer, the attempt ends, it waits in new",
			in:       life(routing),
			ev:       conversation.AgentReserved{Attempt: 1, UserID: "", At: t2},
			want:     func(s *conversation.State) { s.RouteAttempt = 0 },
			wantCmds: []conversation.Command{save},
		},
		{
			name:     "a route request re-routes a waiting new conversation",
			in:       life(func(s *conversation.State) { s.Seq = 3 }),
			ev:       conversation.RouteRequested{At: t2, ChatOn: true},
			want:     func(s *conversation.State) { s.Seq, s.RouteAttempt = 4, 4 },
			wantCmds: []conversation.Command{conversation.ReserveAgent{Attempt: 4, TeamID: "team-1"}, save},
		},
		{
			name: "a route request with chat on moves missed to new and routes it",
			in:   life(func(s *conversation.State) { s.Status = conversation.StatusMissed }),
			ev:   conversation.RouteRequested{At: t2, ChatOn: true},
			want: func(s *conversation.State) {
				s.Status = conversation.StatusNew
				s.Seq, s.RouteAttempt = 1, 1
			},
			wantCmds: []conversation.Command{conversation.ReserveAgent{Attempt: 1, TeamID: "team-1"}, save},
		},
		{
			name: "a route request with chat still off leaves missed waiting",
			in:   life(func(s *conversation.State) { s.Status = conversation.StatusMissed }),
			ev:   conversation.RouteRequested{At: t2, ChatOn: false},
			noop: true,
		},
		{
			name: "a route request while an offer is pending reserves nobody else",
			in:   life(routeOffer),
			ev:   conversation.RouteRequested{At: t2, ChatOn: true},
			noop: true,
		},
		{
			name: "a route request while a reservation is in flight reserves nobody else",
			in:   life(routing),
			ev:   conversation.RouteRequested{At: t2, ChatOn: true},
			noop: true,
		},
		{
			name: "a route request on an assigned conversation does nothing",
			in:   life(active),
			ev:   conversation.RouteRequested{At: t2, ChatOn: true},
			noop: true,
		},
		{
			name: "a route request on a closed conversation is a no-op, not an error",
			in:   life(closed),
			ev:   conversation.RouteRequested{At: t2, ChatOn: true},
			noop: true,
		},
	})
}

func TestLifecycleOfferExpiry(t *testing.T) {
	expiry := t1.Add(offerTimeout)
	routeExpired := func(s *conversation.State) {
		s.ExpiredOffer, s.Offer = s.Offer, nil // kept so a late accept is told it expired
		s.Seq, s.RouteAttempt = 3, 3
	}
	routeCmds := []conversation.Command{
		conversation.MarkRONA{UserID: agent2, OfferedAt: t1},
		notify(agent2, conversation.NotifyOfferExpired),
		conversation.ReserveAgent{Attempt: 3, TeamID: "team-1"},
		save,
	}
	otherCmds := []conversation.Command{
		notify(agent2, conversation.NotifyOfferExpired),
		notify(agentID, conversation.NotifyTransferFailed),
		save,
	}
	runLifeCases(t, []lifeCase{
		{
			name:     "route offer at its expiry: the agent goes RONA and is told, the next agent is reserved",
			in:       life(routeOffer),
			ev:       conversation.Tick{At: expiry},
			want:     routeExpired,
			wantCmds: routeCmds,
		},
		{
			name:     "route offer ticked after its expiry: the same",
			in:       life(routeOffer),
			ev:       conversation.Tick{At: expiry.Add(time.Hour)},
			want:     routeExpired,
			wantCmds: routeCmds,
		},
		{
			name:     "transfer offer expires: dropped, the owner is told, assignees unchanged, no RONA",
			in:       life(active, pendingOffer(conversation.OfferTransfer, agent2)),
			ev:       conversation.Tick{At: expiry},
			want:     func(s *conversation.State) { s.ExpiredOffer, s.Offer = s.Offer, nil },
			wantCmds: otherCmds,
		},
		{
			name:     "conference offer expires: dropped, the owner is told, assignees unchanged, no RONA",
			in:       life(active, conferenced, pendingOffer(conversation.OfferConference, agent2)),
			ev:       conversation.Tick{At: expiry},
			want:     func(s *conversation.State) { s.ExpiredOffer, s.Offer = s.Offer, nil },
			wantCmds: otherCmds,
		},
		{
			name: "a tick before the offer expires does nothing",
			in:   life(routeOffer),
			ev:   conversation.Tick{At: expiry.Add(-time.Nanosecond)},
			noop: true,
		},
		{
			name: "a tick before a transfer offer expires does nothing",
			in:   life(active, pendingOffer(conversation.OfferTransfer, agent2)),
			ev:   conversation.Tick{At: expiry.Add(-time.Nanosecond)},
			noop: true,
		},
	})
}

func TestLifecycleAccept(t *testing.T) {
	expiry := t1.Add(offerTimeout)
	justBefore := expiry.Add(-time.Nanosecond)
	runLifeCases(t, []lifeCase{
		{
			name: "route offer accepted by the offered agent: assigned to them, active",
			in:   life(routeOffer),
			ev:   conversation.Accepted{By: by(agent2), At: justBefore},
			want: func(s *conversation.State) {
				s.Offer = nil
				s.Assignees = []string{agent2}
				s.Status = conversation.StatusActive
			},
			wantCmds: []conversation.Command{save},
		},
		{
			name: "transfer offer accepted: the target replaces the owner, who is told",
			in:   life(active, pendingOffer(conversation.OfferTransfer, agent2)),
			ev:   conversation.Accepted{By: by(agent2), At: justBefore},
			want: func(s *conversation.State) {
				s.Offer = nil
				s.Assignees = []string{agent2}
			},
			wantCmds: []conversation.Command{notify(agentID, conversation.NotifyTransferred), save},
		},
		{
			name: "conference offer accepted: the agent joins the assignees, the owner is told",
			in:   life(active, pendingOffer(conversation.OfferConference, agent2)),
			ev:   conversation.Accepted{By: by(agent2), At: t1},
			want: func(s *conversation.State) {
				s.Offer = nil
				s.Assignees = []string{agentID, agent2}
			},
			wantCmds: []conversation.Command{notify(agentID, conversation.NotifyConferenceJoin), save},
		},
		{
			name:     "accept at exactly ExpiresAt is refused as expired",
			in:       life(routeOffer),
			ev:       conversation.Accepted{By: by(agent2), At: expiry},
			wantCode: conversation.EConflict,
			wantMsg:  "expired",
		},
		{
			name:     "accept after ExpiresAt is refused as expired",
			in:       life(active, pendingOffer(conversation.OfferTransfer, agent2)),
			ev:       conversation.Accepted{By: by(agent2), At: expiry.Add(time.Second)},
			wantCode: conversation.EConflict,
			wantMsg:  "expired",
		},
		{
			name:     "accept by someone the offer is not for",
			in:       life(routeOffer),
			ev:       conversation.Accepted{By: by(agent3), At: t1},
			wantCode: conversation.EConflict,
		},
		{
			name:     "accept by an admin the offer is not for",
			in:       life(routeOffer),
			ev:       conversation.Accepted{By: admin, At: t1},
			wantCode: conversation.EConflict,
		},
		{
			name:     "accept without any offer",
			in:       life(active),
			ev:       conversation.Accepted{By: by(agentID), At: t1},
			wantCode: conversation.EConflict,
		},
		{
			name:     "accept on a closed conversation",
			in:       life(closed),
			ev:       conversation.Accepted{By: by(agent2), At: t1},
			wantCode: conversation.EConflict,
		},
	})
}

func TestLifecycleAssign(t *testing.T) {
	assign := func(c conversation.Caller, users ...string) conversation.AssignRequested {
		return conversation.AssignRequested{By: c, UserIDs: users, At: t2}
	}
	runLifeCases(t, []lifeCase{
		{
			name: "admin assigns members: the offer to someone else is withdrawn, each member is told",
			in:   life(routeOffer),
			ev:   assign(admin, agent3, agent4),
			want: func(s *conversation.State) {
				s.Offer = nil
				s.Assignees = []string{agent3, agent4}
				s.Status = conversation.StatusActive
			},
			wantCmds: []conversation.Command{
				notify(agent2, conversation.NotifyOfferWithdrawn),
				notify(agent3, conversation.NotifyAssigned),
				notify(agent4, conversation.NotifyAssigned),
				save,
			},
		},
		{
			name: "admin assigns the offered agent: the offer is simply fulfilled",
			in:   life(routeOffer),
			ev:   assign(admin, agent2),
			want: func(s *conversation.State) {
				s.Offer = nil
				s.Assignees = []string{agent2}
				s.Status = conversation.StatusActive
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyAssigned), save},
		},
		{
			name:     "admin reassigns: the old assignee is told unassigned, the new one assigned",
			in:       life(active),
			ev:       assign(admin, agent2),
			want:     func(s *conversation.State) { s.Assignees = []string{agent2} },
			wantCmds: []conversation.Command{notify(agentID, conversation.NotifyUnassigned), notify(agent2, conversation.NotifyAssigned), save},
		},
		{
			name:     "admin adds a member, dropping empty and repeated ids",
			in:       life(active),
			ev:       assign(admin, agentID, "", agent2, agent2),
			want:     func(s *conversation.State) { s.Assignees = []string{agentID, agent2} },
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyAssigned), save},
		},
		{
			name: "admin assigns a member to a missed conversation",
			in:   life(func(s *conversation.State) { s.Status = conversation.StatusMissed }),
			ev:   assign(admin, agent2),
			want: func(s *conversation.State) {
				s.Assignees = []string{agent2}
				s.Status = conversation.StatusActive
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyAssigned), save},
		},
		{
			name: "an agent assigns themselves an unassigned conversation; the reservation in flight is dropped",
			in:   life(routing),
			ev:   assign(owner, agentID),
			want: func(s *conversation.State) {
				s.RouteAttempt = 0
				s.Assignees = []string{agentID}
				s.Status = conversation.StatusActive
			},
			wantCmds: []conversation.Command{notify(agentID, conversation.NotifyAssigned), save},
		},
		{
			name: "an agent takes a conversation offered to someone else, who is told",
			in:   life(routeOffer),
			ev:   assign(by(agent3), agent3),
			want: func(s *conversation.State) {
				s.Offer = nil
				s.Assignees = []string{agent3}
				s.Status = conversation.StatusActive
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyOfferWithdrawn), notify(agent3, conversation.NotifyAssigned), save},
		},
		{
			name:     "an agent assigning someone else is forbidden",
			in:       life(),
			ev:       assign(owner, agent2),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "an agent assigning themselves and someone else is forbidden",
			in:       life(),
			ev:       assign(owner, agentID, agent2),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "an agent assigning themselves an assigned conversation is a conflict",
			in:       life(active),
			ev:       assign(by(agent2), agent2),
			wantCode: conversation.EConflict,
		},
		{
			name:     "nobody to assign",
			in:       life(),
			ev:       assign(admin, "", ""),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "assign during wrap-up",
			in:       life(active, wrappingUp),
			ev:       assign(admin, agent2),
			wantCode: conversation.EConflict,
		},
		{
			name:     "assign on a closed conversation",
			in:       life(closed),
			ev:       assign(admin, agent2),
			wantCode: conversation.EConflict,
		},
	})
}

func TestLifecycleTransfer(t *testing.T) {
	toUser := func(c conversation.Caller, user string) conversation.TransferRequested {
		return conversation.TransferRequested{By: c, ToUserID: user, At: t1}
	}
	toTeam := func(c conversation.Caller, team string) conversation.TransferRequested {
		return conversation.TransferRequested{By: c, ToTeamID: team, At: t1}
	}
	transferOffer := func(s *conversation.State) {
		s.Seq = 4
		s.Offer = &conversation.Offer{Seq: 4, Kind: conversation.OfferTransfer, UserID: agent2, FromUserID: agentID,
			OfferedAt: t1, ExpiresAt: t1.Add(offerTimeout)}
	}
	runLifeCases(t, []lifeCase{
		{
			name:     "the owner transfers to an agent: a transfer offer with the team's offer timeout",
			in:       life(active),
			ev:       toUser(owner, agent2),
			want:     transferOffer,
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyOffer), save},
		},
		{
			name:     "an admin transfers: the offer still comes from the owner",
			in:       life(active),
			ev:       toUser(admin, agent2),
			want:     transferOffer,
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyOffer), save},
		},
		{
			// The offer row is written by the save: an agent who reacts to the event at
			// once must find it (GET /v1/me/offers). Runs recorded before keep notifying first.
			name: "in runs that tell offers after saving, the transfer offer is told after the save",
			in:   life(active),
			ev: func() conversation.Event {
				ev := toUser(owner, agent2)
				ev.NotifyAfterSave = true
				return ev
			}(),
			want:     transferOffer,
			wantCmds: []conversation.Command{save, notify(agent2, conversation.NotifyOffer)},
		},
		{
			name: "to a team: team changes, assignees cleared, back to new, routed in the new team, old team nudged after the save",
			in:   life(active, conferenced),
			ev:   toTeam(owner, team2),
			want: func(s *conversation.State) {
				s.TeamID = team2
				s.Assignees = nil
				s.Status = conversation.StatusNew
				s.Seq, s.RouteAttempt = 4, 4
			},
			wantCmds: []conversation.Command{
				notify(agentID, conversation.NotifyUnassigned),
				notify(agent3, conversation.NotifyUnassigned),
				conversation.ReserveAgent{Attempt: 4, TeamID: team2},
				save,
				conversation.NudgeWaiting{TeamID: "team-1"},
			},
		},
		{
			name:     "a conferenced agent (not the owner) cannot transfer",
			in:       life(active, conferenced),
			ev:       toUser(by(agent3), agent2),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "an agent not on the conversation cannot transfer",
			in:       life(active),
			ev:       toTeam(by(agent2), team2),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "not accepted yet (offered, new): conflict",
			in:       life(routeOffer),
			ev:       toUser(admin, agent3),
			wantCode: conversation.EConflict,
		},
		{
			name:     "with an offer pending: conflict",
			in:       life(active, pendingOffer(conversation.OfferConference, agent3)),
			ev:       toUser(owner, agent2),
			wantCode: conversation.EConflict,
		},
		{
			name:     "during wrap-up: conflict",
			in:       life(active, wrappingUp),
			ev:       toUser(owner, agent2),
			wantCode: conversation.EConflict,
		},
		{
			name:     "to the team it is already in",
			in:       life(active),
			ev:       toTeam(owner, "team-1"),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "to both an agent and a team",
			in:       life(active),
			ev:       conversation.TransferRequested{By: owner, ToUserID: agent2, ToTeamID: team2, At: t1},
			wantCode: conversation.EInvalid,
		},
		{
			name:     "to neither an agent nor a team",
			in:       life(active),
			ev:       conversation.TransferRequested{By: owner, At: t1},
			wantCode: conversation.EInvalid,
		},
		{
			name:     "to an agent already on it",
			in:       life(active, conferenced),
			ev:       toUser(owner, agent3),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "on a closed conversation",
			in:       life(active, closed),
			ev:       toUser(owner, agent2),
			wantCode: conversation.EConflict,
		},
	})
}

func TestLifecycleConference(t *testing.T) {
	invite := func(c conversation.Caller, user string) conversation.ConferenceRequested {
		return conversation.ConferenceRequested{By: c, UserID: user, At: t1}
	}
	leave := func(c conversation.Caller, user string) conversation.ConferenceLeft {
		return conversation.ConferenceLeft{By: c, UserID: user, At: t1}
	}
	conferenceOffer := func(s *conversation.State) {
		s.Seq = 4
		s.Offer = &conversation.Offer{Seq: 4, Kind: conversation.OfferConference, UserID: agent4, FromUserID: agentID,
			OfferedAt: t1, ExpiresAt: t1.Add(offerTimeout)}
	}
	runLifeCases(t, []lifeCase{
		{
			name:     "the owner invites an agent: a conference offer they must accept",
			in:       life(active, conferenced),
			ev:       invite(owner, agent4),
			want:     conferenceOffer,
			wantCmds: []conversation.Command{notify(agent4, conversation.NotifyOffer), save},
		},
		{
			name:     "an admin invites on the owner's behalf",
			in:       life(active, conferenced),
			ev:       invite(admin, agent4),
			want:     conferenceOffer,
			wantCmds: []conversation.Command{notify(agent4, conversation.NotifyOffer), save},
		},
		{
			name:     "a conferenced agent cannot invite",
			in:       life(active, conferenced),
			ev:       invite(by(agent3), agent4),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "inviting an agent already on it",
			in:       life(active, conferenced),
			ev:       invite(owner, agent3),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "inviting nobody",
			in:       life(active),
			ev:       invite(owner, ""),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "inviting while an offer is pending",
			in:       life(active, pendingOffer(conversation.OfferTransfer, agent2)),
			ev:       invite(owner, agent4),
			wantCode: conversation.EConflict,
		},
		{
			name:     "inviting before the conversation is accepted",
			in:       life(routeOffer),
			ev:       invite(admin, agent4),
			wantCode: conversation.EConflict,
		},
		{
			name:     "the conferenced agent leaves; the conversation continues with the owner",
			in:       life(active, conferenced),
			ev:       leave(by(agent3), agent3),
			want:     func(s *conversation.State) { s.Assignees = []string{agentID} },
			wantCmds: []conversation.Command{save},
		},
		{
			name:     "the owner ends the conference; the removed agent is told",
			in:       life(active, conferenced),
			ev:       leave(owner, agent3),
			want:     func(s *conversation.State) { s.Assignees = []string{agentID} },
			wantCmds: []conversation.Command{notify(agent3, conversation.NotifyUnassigned), save},
		},
		{
			name:     "an admin removes a conferenced agent",
			in:       life(active, conferenced),
			ev:       leave(admin, agent3),
			want:     func(s *conversation.State) { s.Assignees = []string{agentID} },
			wantCmds: []conversation.Command{notify(agent3, conversation.NotifyUnassigned), save},
		},
		{
			name:     "the owner cannot be removed (by themselves)",
			in:       life(active, conferenced),
			ev:       leave(owner, agentID),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "the owner cannot be removed (by an admin)",
			in:       life(active, conferenced),
			ev:       leave(admin, agentID),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "a conferenced agent cannot remove another",
			in:       life(active, conferenced, func(s *conversation.State) { s.Assignees = append(s.Assignees, agent4) }),
			ev:       leave(by(agent3), agent4),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "removing someone not on it",
			in:       life(active, conferenced),
			ev:       leave(owner, agent4),
			wantCode: conversation.EInvalid,
		},
	})
}

func TestLifecycleEndAndWrapUp(t *testing.T) {
	deadline := t1.Add(lifeSettings.WrapUpTimeout)
	wrapUp := func(c conversation.Caller, reason, msgID, msg string) conversation.WrapUpSubmitted {
		return conversation.WrapUpSubmitted{By: c, Reason: reason, ClosingMessageID: msgID, ClosingMessage: msg, At: t2}
	}
	nudge := conversation.NudgeWaiting{TeamID: "team-1"}
	runLifeCases(t, []lifeCase{
		{
			name:     "end: wrap-up until At+WrapUpTimeout, nobody to act next",
			in:       life(active),
			ev:       conversation.EndRequested{By: owner, At: t1},
			want:     wrappingUp,
			wantCmds: []conversation.Command{save},
		},
		{
			name: "end withdraws a pending conference offer",
			in:   life(active, pendingOffer(conversation.OfferConference, agent3)),
			ev:   conversation.EndRequested{By: owner, At: t1},
			want: func(s *conversation.State) {
				wrappingUp(s)
				s.Offer = nil
			},
			wantCmds: []conversation.Command{notify(agent3, conversation.NotifyOfferWithdrawn), save},
		},
		{
			name:     "end by an admin",
			in:       life(active),
			ev:       conversation.EndRequested{By: admin, At: t1},
			want:     wrappingUp,
			wantCmds: []conversation.Command{save},
		},
		{
			name:     "end by an agent not on it",
			in:       life(active),
			ev:       conversation.EndRequested{By: by(agent2), At: t1},
			wantCode: conversation.EForbidden,
		},
		{
			name:     "end of a conversation nobody accepted",
			in:       life(routeOffer),
			ev:       conversation.EndRequested{By: admin, At: t1},
			wantCode: conversation.EConflict,
		},
		{
			name:     "wrap-up with a reason and a closing message: the message is sent, closed wrapped_up, capacity freed after the save",
			in:       life(active, wrappingUp),
			ev:       wrapUp(owner, "resolved", "bye-1", "Thanks for texting us!"),
			want:     closedBy(t2, "resolved", conversation.ClosedWrappedUp),
			wantCmds: []conversation.Command{conversation.SendMessage{MessageID: "bye-1", Kind: conversation.KindClosing, AuthorID: agentID, Body: "Thanks for texting us!"}, save, nudge},
		},
		{
			name:     "wrap-up without a closing message sends nothing",
			in:       life(active, wrappingUp),
			ev:       wrapUp(owner, "resolved", "", ""),
			want:     closedBy(t2, "resolved", conversation.ClosedWrappedUp),
			wantCmds: []conversation.Command{save, nudge},
		},
		{
			name:     "wrap-up by an admin",
			in:       life(active, wrappingUp),
			ev:       wrapUp(admin, "spam", "", ""),
			want:     closedBy(t2, "spam", conversation.ClosedWrappedUp),
			wantCmds: []conversation.Command{save, nudge},
		},
		{
			name:     "tick at the wrap-up deadline: closed with the team's default reason",
			in:       life(active, wrappingUp),
			ev:       conversation.Tick{At: deadline},
			want:     closedBy(deadline, lifeSettings.DefaultWrapUpReason, conversation.ClosedWrappedUp),
			wantCmds: []conversation.Command{save, nudge},
		},
		{
			name: "tick just before the wrap-up deadline does nothing",
			in:   life(active, wrappingUp),
			ev:   conversation.Tick{At: deadline.Add(-time.Nanosecond)},
			noop: true,
		},
		{
			name:     "empty reason",
			in:       life(active, wrappingUp),
			ev:       wrapUp(owner, "", "", ""),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "blank reason",
			in:       life(active, wrappingUp),
			ev:       wrapUp(owner, " \t", "bye-1", "Bye"),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "closing message without an id",
			in:       life(active, wrappingUp),
			ev:       wrapUp(owner, "resolved", "", "Bye"),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "closing message over the limit",
			in:       life(active, wrappingUp),
			ev:       wrapUp(owner, "resolved", "bye-1", strings.Repeat("x", conversation.MaxBodyLength+1)),
			wantCode: conversation.EUnprocessable,
		},
		{
			name:     "wrap-up by an agent not on it",
			in:       life(active, wrappingUp),
			ev:       wrapUp(by(agent2), "resolved", "", ""),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "wrap-up of an active conversation (not ended)",
			in:       life(active),
			ev:       wrapUp(owner, "resolved", "", ""),
			wantCode: conversation.EConflict,
		},
		{
			name:     "wrap-up of a closed conversation",
			in:       life(active, closed),
			ev:       wrapUp(owner, "resolved", "", ""),
			wantCode: conversation.EConflict,
		},
	})
}

func TestLifecycleInboundDuringWrapUp(t *testing.T) {
	reopened := func(s *conversation.State) {
		s.Status = conversation.StatusActive
		s.WrapUpDeadline = time.Time{}
		s.LastMessageAt = t2
		s.NextAction, s.NextActionSince = conversation.ActorAgent, t2
	}
	runLifeCases(t, []lifeCase{
		{
			name:     "chat on: back to active, deadline cleared, the owner is told",
			in:       life(active, wrappingUp),
			ev:       conversation.InboundReceived{MessageID: inboundID, At: t2, ChatOn: true, AutoResponse: autoResponse},
			want:     reopened,
			wantCmds: []conversation.Command{notify(agentID, conversation.NotifyReopened), save},
		},
		{
			name:     "chat off: still back to its agent, no auto-response",
			in:       life(active, wrappingUp),
			ev:       conversation.InboundReceived{MessageID: inboundID, At: t2, ChatOn: false, AutoResponse: autoResponse},
			want:     reopened,
			wantCmds: []conversation.Command{notify(agentID, conversation.NotifyReopened), save},
		},
	})
}

func TestLifecycleArchiveAndDelete(t *testing.T) {
	items := []conversation.Scheduled{sched("sc-1", t1.Add(time.Hour)), sched("sc-2", t1.Add(2*time.Hour))}
	nudge := conversation.NudgeWaiting{TeamID: "team-1"}
	runLifeCases(t, []lifeCase{
		{
			name:     "archive by the owner: closed archived, capacity freed after the save",
			in:       life(active),
			ev:       conversation.ArchiveRequested{By: owner, At: t2},
			want:     closedBy(t2, "", conversation.ClosedArchived),
			wantCmds: []conversation.Command{save, nudge},
		},
		{
			name:     "archive by a conferenced assignee",
			in:       life(active, conferenced),
			ev:       conversation.ArchiveRequested{By: by(agent3), At: t2},
			want:     closedBy(t2, "", conversation.ClosedArchived),
			wantCmds: []conversation.Command{save, nudge},
		},
		{
			name:     "archive by an admin of an offered conversation: the offer is withdrawn, nobody to nudge for",
			in:       life(routeOffer),
			ev:       conversation.ArchiveRequested{By: admin, At: t2},
			want:     closedBy(t2, "", conversation.ClosedArchived),
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyOfferWithdrawn), save},
		},
		{
			name:     "archive with pending scheduled messages: rehomed after the save",
			in:       life(active, scheduled(items...)),
			ev:       conversation.ArchiveRequested{By: owner, At: t2},
			want:     closedBy(t2, "", conversation.ClosedArchived),
			wantCmds: []conversation.Command{save, nudge, conversation.RehomeScheduled{Items: items}},
		},
		{
			name:     "archive by an agent not on it",
			in:       life(active),
			ev:       conversation.ArchiveRequested{By: by(agent2), At: t2},
			wantCode: conversation.EForbidden,
		},
		{
			name:     "archive by an agent of an unassigned conversation",
			in:       life(),
			ev:       conversation.ArchiveRequested{By: by(agent2), At: t2},
			wantCode: conversation.EForbidden,
		},
		{
			name:     "archive a closed conversation",
			in:       life(active, closed),
			ev:       conversation.ArchiveRequested{By: admin, At: t2},
			wantCode: conversation.EConflict,
		},
		{
			name:     "delete by the owner (not an admin)",
			in:       life(active),
			ev:       conversation.DeleteRequested{By: owner, At: t2},
			wantCode: conversation.EForbidden,
		},
		{
			name: "delete by an admin: pending scheduled messages cancelled (not rehomed), capacity freed after the save",
			in:   life(active, scheduled(items...)),
			ev:   conversation.DeleteRequested{By: admin, At: t2},
			want: closedBy(t2, "", conversation.ClosedDeleted),
			wantCmds: []conversation.Command{
				conversation.CancelScheduled{ID: "sc-1", Reason: "the conversation was deleted"},
				conversation.CancelScheduled{ID: "sc-2", Reason: "the conversation was deleted"},
				save,
				nudge,
			},
		},
		{
			name: "delete an already deleted conversation: no-op",
			in:   life(active, closedBy(t1, "", conversation.ClosedDeleted)),
			ev:   conversation.DeleteRequested{By: admin, At: t2},
			noop: true,
		},
	})
}

func TestLifecycleInactivity(t *testing.T) {
	window := lifeSettings.InactivityWindow
	lastMessage := func(s *conversation.State) { s.LastMessageAt = t1 } // after OpenedAt (t0)
	nudge := conversation.NudgeWaiting{TeamID: "team-1"}
	runLifeCases(t, []lifeCase{
		{
			name:     "tick at LastMessageAt+InactivityWindow closes with reason inactive",
			in:       life(active, lastMessage),
			ev:       conversation.Tick{At: t1.Add(window)},
			want:     closedBy(t1.Add(window), "inactive", conversation.ClosedInactive),
			wantCmds: []conversation.Command{save, nudge},
		},
		{
			name: "tick just before does nothing",
			in:   life(active, lastMessage),
			ev:   conversation.Tick{At: t1.Add(window - time.Nanosecond)},
			noop: true,
		},
		{
			name: "counts from OpenedAt when it is later than the last message",
			in: life(func(s *conversation.State) {
				s.Status, s.NextAction = conversation.StatusOutbound, conversation.ActorCustomer
				s.OpenedAt = t2
			}),
			ev:       conversation.Tick{At: t2.Add(window)},
			want:     closedBy(t2.Add(window), "inactive", conversation.ClosedInactive),
			wantCmds: []conversation.Command{save},
		},
		{
			name: "OpenedAt+window is not yet inactive when a later message came",
			in:   life(active, lastMessage),
			ev:   conversation.Tick{At: t0.Add(window)},
			noop: true,
		},
		{
			name:     "inactivity with a scheduled message further out: it is rehomed after the save",
			in:       life(active, lastMessage, scheduled(sched("sc-9", t1.Add(window+time.Hour)))),
			ev:       conversation.Tick{At: t1.Add(window)},
			want:     closedBy(t1.Add(window), "inactive", conversation.ClosedInactive),
			wantCmds: []conversation.Command{save, nudge, conversation.RehomeScheduled{Items: []conversation.Scheduled{sched("sc-9", t1.Add(window+time.Hour))}}},
		},
	})
}

func TestLifecycleScheduled(t *testing.T) {
	h := time.Hour
	b, d := sched("b", t1.Add(2*h)), sched("d", t1.Add(3*h))
	schedule := func(sc conversation.Scheduled) conversation.ScheduleRequested {
		return conversation.ScheduleRequested{Scheduled: sc, At: t1}
	}
	insert := func(name string, sc conversation.Scheduled, want ...conversation.Scheduled) lifeCase {
		return lifeCase{
			name:     name,
			in:       life(active, scheduled(b, d)),
			ev:       schedule(sc),
			want:     func(s *conversation.State) { s.Scheduled = want },
			wantCmds: []conversation.Command{conversation.StoreScheduled{Scheduled: sc}, save},
		}
	}
	full := make([]conversation.Scheduled, conversation.MaxScheduled)
	for i := range full {
		full[i] = sched(fmt.Sprintf("sc-%04d", i), t1.Add(time.Duration(i+1)*time.Minute))
	}
	c, a, z := sched("c", t1.Add(2*h)), sched("a", t1.Add(3*h)), sched("z", t1.Add(h))
	noAuthor := sched("sys", t2)
	noAuthor.AuthorID = ""
	send := func(sc conversation.Scheduled) conversation.SendMessage {
		return conversation.SendMessage{MessageID: conversation.ScheduledMessageID(sc.ID), Kind: conversation.KindScheduled,
			AuthorID: sc.AuthorID, Body: sc.Body, ScheduledID: sc.ID}
	}
	first, second := sched("sc-1", t2), sched("sc-2", t3)
	window := lifeSettings.InactivityWindow
	atInactivity := sched("sc-i", t0.Add(window)) // active() has LastMessageAt t0
	withBody := func(sc conversation.Scheduled, body string) conversation.Scheduled { sc.Body = body; return sc }
	withID := func(sc conversation.Scheduled, id string) conversation.Scheduled { sc.ID = id; return sc }
	noTime := b
	noTime.SendAt = time.Time{}

	runLifeCases(t, []lifeCase{
		insert("same send time: ordered by id", c, b, c, d),
		insert("ties on send time broken by id (goes before)", a, b, a, d),
		insert("earliest goes first", z, z, b, d),
		insert("latest goes last", sched("e", t1.Add(4*h)), b, d, sched("e", t1.Add(4*h))),
		{
			name: "the same id again (a retried request) is a no-op without error",
			in:   life(active, scheduled(b, d)),
			ev:   schedule(withBody(b, "something else")),
			noop: true,
		},
		{
			name:     "MaxScheduled already pending: refused",
			in:       life(active, scheduled(full...)),
			ev:       schedule(sched("one-more", t1.Add(time.Second))),
			wantCode: conversation.EUnprocessable,
		},
		{
			name: "MaxScheduled-1 pending: the last one fits",
			in:   life(active, scheduled(full[1:]...)),
			ev:   schedule(full[0]),
			want: func(s *conversation.State) { s.Scheduled = full },
			wantCmds: []conversation.Command{
				conversation.StoreScheduled{Scheduled: full[0]}, save,
			},
		},
		{
			name:     "empty body",
			in:       life(active),
			ev:       schedule(withBody(b, " ")),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "body over the limit",
			in:       life(active),
			ev:       schedule(withBody(b, strings.Repeat("x", conversation.MaxBodyLength+1))),
			wantCode: conversation.EUnprocessable,
		},
		{
			name:     "no id",
			in:       life(active),
			ev:       schedule(withID(b, "")),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "no send time",
			in:       life(active),
			ev:       schedule(noTime),
			wantCode: conversation.EInvalid,
		},
		{
			name:     "on a closed conversation",
			in:       life(active, closed),
			ev:       schedule(b),
			wantCode: conversation.EConflict,
		},
		{
			name: "tick at SendAt sends it (derived message id, scheduled id) and drops it",
			in:   life(active, scheduled(first, second)),
			ev:   conversation.Tick{At: t2},
			want: func(s *conversation.State) {
				s.Scheduled = []conversation.Scheduled{second}
				s.LastMessageAt = t2
			},
			wantCmds: []conversation.Command{send(first), save},
		},
		{
			name: "a scheduler's message has no author",
			in:   life(active, scheduled(noAuthor)),
			ev:   conversation.Tick{At: t2},
			want: func(s *conversation.State) {
				s.Scheduled = nil
				s.LastMessageAt = t2
			},
			wantCmds: []conversation.Command{send(noAuthor), save},
		},
		{
			name: "a late tick sends everything due, in order",
			in:   life(active, scheduled(first, second, d)),
			ev:   conversation.Tick{At: t3.Add(time.Minute)},
			want: func(s *conversation.State) {
				s.Scheduled = []conversation.Scheduled{d}
				s.LastMessageAt = t3.Add(time.Minute)
			},
			wantCmds: []conversation.Command{send(first), send(second), save},
		},
		{
			name: "tick just before SendAt does nothing",
			in:   life(active, scheduled(first)),
			ev:   conversation.Tick{At: t2.Add(-time.Nanosecond)},
			noop: true,
		},
		{
			// The message is sent before any close is considered; being a message, it
			// also restarts the inactivity window, so the conversation stays open.
			name: "due at the same instant the conversation goes inactive: sent first",
			in:   life(active, scheduled(atInactivity)),
			ev:   conversation.Tick{At: t0.Add(window)},
			want: func(s *conversation.State) {
				s.Scheduled = nil
				s.LastMessageAt = t0.Add(window)
			},
			wantCmds: []conversation.Command{send(atInactivity), save},
		},
		{
			name:     "cancel a pending one",
			in:       life(active, scheduled(first, second)),
			ev:       conversation.ScheduleCancelled{ID: "sc-1", Reason: "no longer needed", At: t1},
			want:     func(s *conversation.State) { s.Scheduled = []conversation.Scheduled{second} },
			wantCmds: []conversation.Command{conversation.CancelScheduled{ID: "sc-1", Reason: "no longer needed"}, save},
		},
		{
			name:     "cancel without a reason",
			in:       life(active, scheduled(first, second)),
			ev:       conversation.ScheduleCancelled{ID: "sc-2", At: t1},
			want:     func(s *conversation.State) { s.Scheduled = []conversation.Scheduled{first} },
			wantCmds: []conversation.Command{conversation.CancelScheduled{ID: "sc-2", Reason: "cancelled"}, save},
		},
		{
			name:     "cancel an unknown one",
			in:       life(active, scheduled(first)),
			ev:       conversation.ScheduleCancelled{ID: "sc-404", At: t1},
			wantCode: conversation.EConflict,
		},
	})
}

// TestLifecycleCancelAfterSend: once the tick has sent a scheduled message, cancelling
// it is refused; cancelling it first means the tick sends nothing.
func TestLifecycleCancelAfterSend(t *testing.T) {
	s := life(active)()
	s, _, err := conversation.Apply(s, conversation.ScheduleRequested{Scheduled: sched("sc-1", t2), At: t1})
	if err != nil {
		t.Fatal(err)
	}
	sent, cmds, err := conversation.Apply(s, conversation.Tick{At: t2})
	if err != nil || len(cmds) != 2 {
		t.Fatalf("tick: %v, %#v; want the message sent", err, cmds)
	}
	if _, _, err := conversation.Apply(sent, conversation.ScheduleCancelled{ID: "sc-1", At: t2}); conversation.ErrorCode(err) != conversation.EConflict {
		t.Errorf("cancel after send: %v; want %s", err, conversation.EConflict)
	}

	cancelled, _, err := conversation.Apply(s, conversation.ScheduleCancelled{ID: "sc-1", At: t2})
	if err != nil {
		t.Fatal(err)
	}
	after, cmds, err := conversation.Apply(cancelled, conversation.Tick{At: t2})
	if err != nil || len(cmds) != 0 || after.Version != cancelled.Version {
		t.Errorf("tick after cancel: %v, %#v; want nothing sent, nothing saved", err, cmds)
	}
}

func TestLifecycleAutoResponseInterval(t *testing.T) {
	interval := lifeSettings.AutoResponseInterval
	missedAnswered := func(s *conversation.State) {
		s.Status = conversation.StatusMissed
		s.AutoResponseSentAt, s.LastMessageAt = t0, t0
	}
	in := func(at time.Time) conversation.InboundReceived {
		return conversation.InboundReceived{MessageID: "in-2", At: at, ChatOn: false, AutoResponse: autoResponse}
	}
	autoResp := conversation.SendMessage{MessageID: conversation.AutoResponseID("in-2"), Kind: conversation.KindAutoResponse, Body: autoResponse}
	shorter := lifeSettings
	shorter.AutoResponseInterval = 30 * time.Minute
	withSettings := in(t0.Add(time.Hour))
	withSettings.Settings = shorter
	runLifeCases(t, []lifeCase{
		{
			name:     "a second missed inbound inside the interval gets none",
			in:       life(missedAnswered),
			ev:       in(t0.Add(interval - time.Nanosecond)),
			want:     func(s *conversation.State) { s.LastMessageAt = t0.Add(interval - time.Nanosecond) },
			wantCmds: []conversation.Command{save},
		},
		{
			name: "one once the interval has passed gets it again",
			in:   life(missedAnswered),
			ev:   in(t0.Add(interval)),
			want: func(s *conversation.State) {
				s.LastMessageAt = t0.Add(interval)
				s.AutoResponseSentAt = t0.Add(interval)
			},
			wantCmds: []conversation.Command{autoResp, save},
		},
		{
			name: "the interval is the team's current setting",
			in:   life(missedAnswered),
			ev:   withSettings,
			want: func(s *conversation.State) {
				s.Settings = shorter
				s.LastMessageAt = t0.Add(time.Hour)
				s.AutoResponseSentAt = t0.Add(time.Hour)
			},
			wantCmds: []conversation.Command{autoResp, save},
		},
		{
			name: "chat turned off while offered: offer withdrawn, missed, auto-response",
			in:   life(routeOffer),
			ev:   in(t2),
			want: func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.Offer = nil
				s.LastMessageAt = t2
				s.AutoResponseSentAt = t2
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyOfferWithdrawn), autoResp, save},
		},
	})
}

func TestLifecycleOutbound(t *testing.T) {
	// A conversation started by a scheduled message: the customer has not answered.
	outbound := func(s *conversation.State) {
		s.Status = conversation.StatusOutbound
		s.NextAction, s.NextActionSince = conversation.ActorCustomer, t0
		s.LastMessageAt = t0
	}
	follow := sched("sc-f", t2)
	runLifeCases(t, []lifeCase{
		{
			name: "an agent's reply keeps it outbound",
			in:   life(outbound),
			ev:   reply("Just following up"),
			want: func(s *conversation.State) {
				s.Assignees = []string{agentID}
				s.LastMessageAt = t1
			},
			wantCmds: []conversation.Command{
				conversation.SendMessage{MessageID: replyID, Kind: conversation.KindText, AuthorID: agentID, Body: "Just following up"}, save,
			},
		},
		{
			name: "another scheduled message keeps it outbound",
			in:   life(outbound, scheduled(follow)),
			ev:   conversation.Tick{At: t2},
			want: func(s *conversation.State) {
				s.Scheduled = nil
				s.LastMessageAt = t2
			},
			wantCmds: []conversation.Command{
				conversation.SendMessage{MessageID: conversation.ScheduledMessageID("sc-f"), Kind: conversation.KindScheduled,
					AuthorID: agentID, Body: follow.Body, ScheduledID: "sc-f"},
				save,
			},
		},
		{
			name: "the customer's answer makes it new and routes it",
			in:   life(outbound),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true, AutoResponse: autoResponse},
			want: func(s *conversation.State) {
				s.Status = conversation.StatusNew
				s.NextAction, s.NextActionSince = conversation.ActorAgent, t1
				s.LastMessageAt = t1
				s.Seq, s.RouteAttempt = 1, 1
			},
			wantCmds: []conversation.Command{conversation.ReserveAgent{Attempt: 1, TeamID: "team-1"}, save},
		},
		{
			name: "the customer's answer with chat off: missed with the auto-response",
			in:   life(outbound),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: false, AutoResponse: autoResponse},
			want: func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.NextAction, s.NextActionSince = conversation.ActorAgent, t1
				s.LastMessageAt = t1
				s.AutoResponseSentAt = t1
			},
			wantCmds: []conversation.Command{autoResponseCmd(), save},
		},
	})
}

// TestLifecycleOutboundAnswerAfterAgentReply pins a bug: an agent replied to an
// outbound conversation (taking it), then the customer answered. The conversation must
// go to that agent (active), as any assigned conversation does; instead it becomes
// "new" with an assignee, which routing skips and nobody can accept.
func TestLifecycleOutboundAnswerAfterAgentReply(t *testing.T) {
	s := life(func(s *conversation.State) {
		s.Status = conversation.StatusOutbound
		s.Assignees = []string{agentID}
		s.NextAction = conversation.ActorCustomer
	})()
	got, _, err := conversation.Apply(s, conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != conversation.StatusActive {
		t.Errorf("status = %s; want active (with its assignee %v)", got.Status, got.Assignees)
	}
}

func TestNextDeadline(t *testing.T) {
	window := lifeSettings.InactivityWindow
	inactiveAt := t1.Add(window) // LastMessageAt t1 is after OpenedAt t0
	open := func(fs ...func(*conversation.State)) conversation.State {
		return life(append([]func(*conversation.State){func(s *conversation.State) { s.LastMessageAt = t1 }}, fs...)...)()
	}
	// every pending deadline at once, with one of them moved to be the earliest
	all := func(earliest string) conversation.State {
		s := open()
		s.Status = conversation.StatusWrapUp
		s.Offer = &conversation.Offer{Seq: 1, Kind: conversation.OfferConference, UserID: agent2, OfferedAt: t1, ExpiresAt: t1.Add(time.Hour)}
		s.WrapUpDeadline = t1.Add(2 * time.Hour)
		s.Scheduled = []conversation.Scheduled{sched("sc-1", t1.Add(3*time.Hour)), sched("sc-2", t1.Add(4*time.Hour))}
		switch earliest {
		case "offer":
			s.Offer.ExpiresAt = t1.Add(time.Second)
		case "wrap-up":
			s.WrapUpDeadline = t1.Add(time.Second)
		case "scheduled":
			s.Scheduled[0].SendAt = t1.Add(time.Second)
		case "inactivity":
			s.LastMessageAt = t1.Add(-window + time.Second)
			s.OpenedAt = s.LastMessageAt.Add(-time.Hour)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		s    conversation.State
		want time.Time
	}{
		{"only inactivity: max(OpenedAt, LastMessageAt)+window", open(), inactiveAt},
		{"inactivity from OpenedAt when later", open(func(s *conversation.State) { s.OpenedAt = t2 }), t2.Add(window)},
		{"no inactivity window, nothing pending: none", open(func(s *conversation.State) { s.Settings.InactivityWindow = 0 }), time.Time{}},
		{"the offer's expiry", open(routeOffer), t1.Add(offerTimeout)},
		{"the wrap-up deadline", open(active, func(s *conversation.State) { s.LastMessageAt = t1 }, wrappingUp), t1.Add(lifeSettings.WrapUpTimeout)},
		{"a wrap-up deadline outside wrap-up is ignored", open(func(s *conversation.State) { s.WrapUpDeadline = t1.Add(time.Second) }), inactiveAt},
		{"the first scheduled message", open(scheduled(sched("sc-1", t2), sched("sc-2", t3))), t2},
		{"earliest of all: offer", all("offer"), t1.Add(time.Second)},
		{"earliest of all: wrap-up", all("wrap-up"), t1.Add(time.Second)},
		{"earliest of all: scheduled", all("scheduled"), t1.Add(time.Second)},
		{"earliest of all: inactivity", all("inactivity"), t1.Add(time.Second)},
		{"closed: none, whatever is left in the state", func() conversation.State { s := all("offer"); closed(&s); return s }(), time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.NextDeadline(); !got.Equal(tc.want) {
				t.Errorf("NextDeadline = %v; want %v", got, tc.want)
			}
		})
	}
}

func TestBusinessHoursValidate(t *testing.T) {
	type BH = conversation.BusinessHours
	for _, tc := range []struct {
		name  string
		hours BH
		bad   bool
	}{
		{"nil", nil, false},
		{"empty", BH{}, false},
		{"weekdays with two spans", BH{"mon": {{"09:00", "12:00"}, {"13:00", "17:30"}}, "sat": {{"10:00", "14:00"}}}, false},
		{"a day without spans", BH{"sun": {}}, false},
		{"until midnight", BH{"fri": {{"18:00", "24:00"}}}, false},
		{"bad day name", BH{"monday": {{"09:00", "17:00"}}}, true},
		{"day name is case-sensitive", BH{"Mon": {{"09:00", "17:00"}}}, true},
		{"clock without leading zero", BH{"mon": {{"9:00", "17:00"}}}, true},
		{"minute 60", BH{"mon": {{"09:60", "17:00"}}}, true},
		{"hour 25", BH{"mon": {{"09:00", "25:00"}}}, true},
		{"past midnight", BH{"mon": {{"09:00", "24:01"}}}, true},
		{"not a clock", BH{"mon": {{"nine", "17:00"}}}, true},
		{"empty clock", BH{"mon": {{"", "17:00"}}}, true},
		{"closes before it opens", BH{"tue": {{"17:00", "09:00"}}}, true},
		{"closes as it opens", BH{"tue": {{"09:00", "09:00"}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.hours.Validate()
			if !tc.bad {
				if err != nil {
					t.Errorf("Validate: %v; want valid", err)
				}
				return
			}
			if code := conversation.ErrorCode(err); err == nil || code != conversation.EInvalid {
				t.Errorf("Validate = %v (code %q); want %q", err, code, conversation.EInvalid)
			}
		})
	}
}

// TestBusinessHoursValidateStrictClock pins a bug: parseClock uses Sscanf("%d:%d"), so
// clocks that are not HH:MM but happen to be 5 bytes long are accepted.
func TestBusinessHoursValidateStrictClock(t *testing.T) {
	for _, clock := range []string{"+9:00", " 9:00", "9: 00", "09:+5", "9:005"} {
		if err := (conversation.BusinessHours{"mon": {{clock, "17:00"}}}).Validate(); err == nil {
			t.Errorf("Validate accepted %q as a clock", clock)
		}
	}
}

func TestBusinessHoursOpen(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	ny, tokyo, berlin := load("America/New_York"), load("Asia/Tokyo"), load("Europe/Berlin")
	hours := conversation.BusinessHours{"mon": {{"09:00", "17:00"}}, "sat": {{"10:00", "12:00"}, {"13:00", "24:00"}}}
	utc := func(day, hour, min int) time.Time { return time.Date(2025, 3, day, hour, min, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name  string
		hours conversation.BusinessHours
		at    time.Time
		loc   *time.Location
		open  bool
	}{
		// 2025-03-03 is a Monday; New York is UTC-5 until 2025-03-09, UTC-4 after.
		{"NY Monday 08:59 EST: closed", hours, utc(3, 13, 59), ny, false},
		{"NY Monday 09:00 EST: open", hours, utc(3, 14, 0), ny, true},
		{"NY Monday 16:59 EST: open", hours, utc(3, 21, 59), ny, true},
		{"NY Monday 17:00 EST: closed", hours, utc(3, 22, 0), ny, false},
		{"NY Monday 09:00 EDT after the DST change: open", hours, utc(10, 13, 0), ny, true},
		{"NY Monday 08:00 EST (13:00 UTC, open in UTC terms): closed", hours, utc(3, 13, 0), ny, false},
		{"NY Sunday 23:30 (already Monday in UTC): closed", hours, utc(3, 4, 30), ny, false},
		{"NY Tuesday: no spans, closed", hours, utc(4, 15, 0), ny, false},
		{"NY Saturday between spans: closed", hours, utc(1, 17, 30), ny, false},
		{"NY Saturday second span: open", hours, utc(1, 18, 0), ny, true},
		{"NY Saturday 23:59 (span to 24:00): open", hours, utc(2, 4, 59), ny, true},
		{"Tokyo Monday 09:00 JST (Monday 00:00 UTC): open", hours, utc(3, 0, 0), tokyo, true},
		{"the same instant in New York (Sunday 19:00): closed", hours, utc(3, 0, 0), ny, false},
		{"Tokyo Monday 08:59 JST: closed", hours, utc(2, 23, 59), tokyo, false},
		{"Tokyo Monday 17:00 JST: closed", hours, utc(3, 8, 0), tokyo, false},
		{"the instant's own zone does not matter", hours, time.Date(2025, 3, 3, 15, 30, 0, 0, berlin), ny, true},
		{"nil hours: always open", nil, utc(4, 3, 0), ny, true},
		{"empty hours: never open", conversation.BusinessHours{}, utc(3, 15, 0), ny, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.hours.Open(tc.at, tc.loc); got != tc.open {
				t.Errorf("Open(%v in %s) = %v; want %v", tc.at, tc.loc, got, tc.open)
			}
		})
	}
}

// TestLifecycleNote: an internal note is recorded, never sent, and changes nothing
// the mirror tracks (no SaveState, same Version).
func TestLifecycleNote(t *testing.T) {
	in := life(active)()
	ev := conversation.NoteAdded{MessageID: "note-1", By: owner, Body: "customer sounds upset", At: t1}
	got, cmds, err := conversation.Apply(in, ev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("state changed: %+v", got)
	}
	want := []conversation.Command{conversation.RecordNote{MessageID: "note-1", AuthorID: agentID, Body: "customer sounds upset"}}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands = %#v; want only %#v", cmds, want)
	}
	for name, tc := range map[string]struct {
		s    conversation.State
		ev   conversation.NoteAdded
		code string
	}{
		"closed":     {life(active, closed)(), ev, conversation.EConflict},
		"blank body": {in, conversation.NoteAdded{MessageID: "note-1", By: owner, Body: " ", At: t1}, conversation.EInvalid},
		"no id":      {in, conversation.NoteAdded{By: owner, Body: "x", At: t1}, conversation.EInvalid},
	} {
		if _, _, err := conversation.Apply(tc.s, tc.ev); conversation.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v; want %s", name, err, tc.code)
		}
	}
}

func TestLifecycleVisibility(t *testing.T) {
	restrict := func(c conversation.Caller, users ...string) conversation.VisibilitySet {
		return conversation.VisibilitySet{By: c, UserIDs: users, At: t2}
	}
	restricted := func(users ...string) func(*conversation.State) {
		return func(s *conversation.State) { s.VisibleTo = users }
	}
	runLifeCases(t, []lifeCase{
		{
			name:     "the owner restricts the conversation to themselves and another agent (sorted, deduplicated)",
			in:       life(active),
			ev:       restrict(owner, agent3, agentID, agent3, ""),
			want:     restricted(agentID, agent3),
			wantCmds: []conversation.Command{save},
		},
		{
			name:     "an admin lifts the restriction with an empty list",
			in:       life(active, restricted(agentID)),
			ev:       restrict(admin),
			want:     restricted(),
			wantCmds: []conversation.Command{save},
		},
		{
			name: "the same list again changes nothing",
			in:   life(active, restricted(agentID, agent3)),
			ev:   restrict(owner, agent3, agentID),
			noop: true,
		},
		{
			name:     "the list must keep every assignee",
			in:       life(active, conferenced),
			ev:       restrict(owner, agentID),
			wantCode: conversation.EUnprocessable,
			wantMsg:  agent3,
		},
		{
			name:     "a pending offer to someone left out is a conflict",
			in:       life(active, pendingOffer(conversation.OfferTransfer, agent2)),
			ev:       restrict(owner, agentID),
			wantCode: conversation.EConflict,
			wantMsg:  agent2,
		},
		{
			name:     "only the owner or an admin may change it",
			in:       life(active, conferenced),
			ev:       restrict(by(agent3), agentID, agent3),
			wantCode: conversation.EForbidden,
		},
		{
			name:     "not on a closed conversation",
			in:       life(closed),
			ev:       restrict(admin, agentID),
			wantCode: conversation.EConflict,
		},
		{
			name:     "routing a restricted conversation offers it only to its users",
			in:       life(restricted(agent2, agent3)),
			ev:       conversation.InboundReceived{MessageID: "m1", At: t1, ChatOn: true},
			want:     routing,
			wantCmds: []conversation.Command{conversation.ReserveAgent{Attempt: 1, TeamID: "team-1", VisibleTo: []string{agent2, agent3}}, save},
		},
		{
			name:     "an admin cannot assign someone who cannot see it",
			in:       life(active, restricted(agentID)),
			ev:       conversation.AssignRequested{By: admin, UserIDs: []string{agent2}, At: t2},
			wantCode: conversation.EUnprocessable,
			wantMsg:  "cannot see",
		},
		{
			name:     "no transfer to someone who cannot see it",
			in:       life(active, restricted(agentID)),
			ev:       conversation.TransferRequested{By: owner, ToUserID: agent2, At: t2},
			wantCode: conversation.EUnprocessable,
			wantMsg:  "cannot see",
		},
		{
			name:     "no conference with someone who cannot see it",
			in:       life(active, restricted(agentID)),
			ev:       conversation.ConferenceRequested{By: owner, UserID: agent2, At: t2},
			wantCode: conversation.EUnprocessable,
			wantMsg:  "cannot see",
		},
	})
}
