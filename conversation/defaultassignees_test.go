package conversation_test

import (
	"testing"

	"github.com/textdesk/textdesk/conversation"
)

// A contact's default assignment: a conversation that opens unassigned goes straight
// to the contact's default assignees who may see it (assigned, active, told), and is
// never offered; with none of them eligible it is routed as any other. The list applies
// once, when the conversation opens.
func TestLifecycleDefaultAssignees(t *testing.T) {
	defaults := func(users ...string) func(*conversation.State) {
		return func(s *conversation.State) { s.DefaultAssignees = users }
	}
	restricted := func(users ...string) func(*conversation.State) {
		return func(s *conversation.State) { s.VisibleTo = users }
	}
	outbound := func(s *conversation.State) {
		s.Status = conversation.StatusOutbound
		s.NextAction, s.NextActionSince = conversation.ActorCustomer, t0
		s.LastMessageAt = t0
	}
	assignedTo := func(users ...string) func(*conversation.State) {
		return func(s *conversation.State) {
			s.DefaultAssignees = nil
			s.Assignees = users
			s.Status = conversation.StatusActive
		}
	}
	opened := func(s *conversation.State) {
		s.LastMessageAt = t1
		s.NextAction, s.NextActionSince = conversation.ActorAgent, t1
	}
	runLifeCases(t, []lifeCase{
		{
			name: "the first inbound with chat on assigns the default assignees (repeats dropped) and reserves nobody",
			in:   life(defaults(agent2, agent3, agent2)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				assignedTo(agent2, agent3)(s)
				s.LastMessageAt = t1
			},
			wantCmds: []conversation.Command{
				notify(agent2, conversation.NotifyAssigned),
				notify(agent3, conversation.NotifyAssigned),
				save,
			},
		},
		{
			name: "with chat off it is missed and auto-answered as any other, and keeps its defaults",
			in:   life(defaults(agent2)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: false, AutoResponse: autoResponse},
			want: func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.LastMessageAt = t1
				s.AutoResponseSentAt = t1
			},
			wantCmds: []conversation.Command{autoResponseCmd(), save},
		},
		{
			name: "a missed conversation goes to its default assignees when chat comes back on",
			in: life(defaults(agent2), func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.LastMessageAt = t1
				s.AutoResponseSentAt = t1
			}),
			ev: conversation.RouteRequested{At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				assignedTo(agent2)(s)
				s.LastMessageAt = t1
				s.AutoResponseSentAt = t1
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyAssigned), save},
		},
		{
			name: "a HELP message is still answered",
			in:   life(defaults(agent2)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true, HelpReply: "Text STOP to stop."},
			want: func(s *conversation.State) {
				assignedTo(agent2)(s)
				s.LastMessageAt = t1
			},
			wantCmds: []conversation.Command{
				notify(agent2, conversation.NotifyAssigned),
				conversation.SendMessage{MessageID: conversation.HelpReplyID(inboundID), Kind: conversation.KindHelp, Body: "Text STOP to stop."},
				save,
			},
		},
		{
			name: "on a restricted conversation only the default assignees who may see it are assigned",
			in:   life(restricted(agent3), defaults(agent2, agent3)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				assignedTo(agent3)(s)
				s.LastMessageAt = t1
			},
			wantCmds: []conversation.Command{notify(agent3, conversation.NotifyAssigned), save},
		},
		{
			name: "none of them may see it: routed as usual (within its list), and the defaults are dropped",
			in:   life(restricted(agent4), defaults(agent2)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				s.DefaultAssignees = nil
				s.LastMessageAt = t1
				s.Seq, s.RouteAttempt = 1, 1
			},
			wantCmds: []conversation.Command{
				conversation.ReserveAgent{Attempt: 1, TeamID: "team-1", VisibleTo: []string{agent4}}, save,
			},
		},
		{
			name: "none of them may see it, chat off: missed with the auto-response, as usual",
			in:   life(restricted(agent4), defaults(agent2)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: false, AutoResponse: autoResponse},
			want: func(s *conversation.State) {
				s.Status = conversation.StatusMissed
				s.LastMessageAt = t1
				s.AutoResponseSentAt = t1
			},
			wantCmds: []conversation.Command{autoResponseCmd(), save},
		},
		{
			name: "a route request before the first message assigns them too, instead of reserving",
			in:   life(defaults(agent2)),
			ev:   conversation.RouteRequested{At: t1, ChatOn: true},
			want: assignedTo(agent2),
			wantCmds: []conversation.Command{
				notify(agent2, conversation.NotifyAssigned), save,
			},
		},
		{
			name: "an outbound conversation: a scheduled message's send keeps it outbound and unassigned",
			in:   life(outbound, defaults(agent2), scheduled(sched("sc-1", t1))),
			ev:   conversation.Tick{At: t1},
			want: func(s *conversation.State) {
				s.Scheduled = nil
				s.LastMessageAt = t1
			},
			wantCmds: []conversation.Command{
				conversation.SendMessage{MessageID: conversation.ScheduledMessageID("sc-1"), Kind: conversation.KindScheduled,
					AuthorID: agentID, Body: "message sc-1", ScheduledID: "sc-1"},
				save,
			},
		},
		{
			name: "an outbound conversation: the customer's answer opens it to the default assignees, not to routing",
			in:   life(outbound, defaults(agent2)),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				assignedTo(agent2)(s)
				opened(s)
			},
			wantCmds: []conversation.Command{notify(agent2, conversation.NotifyAssigned), save},
		},
		{
			name: "an outbound conversation an agent wrote first: their message reserves nobody; the agent has it",
			in:   life(outbound, defaults(agent2)),
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
			name: "the customer answers the agent who wrote first: it stays theirs and the defaults are dropped",
			in: life(outbound, defaults(agent2), func(s *conversation.State) {
				s.Assignees = []string{agentID}
			}),
			ev: conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				assignedTo(agentID)(s)
				opened(s)
			},
			wantCmds: []conversation.Command{save},
		},
		{
			name: "transferred to another team before it opened: routed there, the old team's defaults dropped",
			in:   life(active, defaults(agent2)),
			ev:   conversation.TransferRequested{By: owner, ToTeamID: team2, At: t1},
			want: func(s *conversation.State) {
				s.DefaultAssignees = nil
				s.TeamID = team2
				s.Assignees = nil
				s.Status = conversation.StatusNew
				s.Seq, s.RouteAttempt = 4, 4
			},
			wantCmds: []conversation.Command{
				notify(agentID, conversation.NotifyUnassigned),
				conversation.ReserveAgent{Attempt: 4, TeamID: team2},
				save,
				conversation.NudgeWaiting{TeamID: "team-1"},
			},
		},
		{
			name: "without default assignees the first inbound routes exactly as before",
			in:   life(defaults()),
			ev:   conversation.InboundReceived{MessageID: inboundID, At: t1, ChatOn: true},
			want: func(s *conversation.State) {
				s.LastMessageAt = t1
				s.Seq, s.RouteAttempt = 1, 1
			},
			wantCmds: []conversation.Command{conversation.ReserveAgent{Attempt: 1, TeamID: "team-1"}, save},
		},
	})
}

// Once assigned by default, the conversation behaves as any assigned one: the next
// messages reserve nobody, only its assignees (or an admin) reply, and the assignees
// may end it.
func TestDefaultAssigneesThenAsAssigned(t *testing.T) {
	s := life(func(s *conversation.State) { s.DefaultAssignees = []string{agent2} })()
	s, _, err := conversation.Apply(s, conversation.InboundReceived{MessageID: "m1", At: t1, ChatOn: true})
	if err != nil {
		t.Fatal(err)
	}
	s, cmds, err := conversation.Apply(s, conversation.InboundReceived{MessageID: "m2", At: t2, ChatOn: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if _, ok := c.(conversation.ReserveAgent); ok {
			t.Errorf("the second message reserved an agent: %#v", cmds)
		}
	}
	if s.Status != conversation.StatusActive || s.Owner() != agent2 || s.Offer != nil || s.RouteAttempt != 0 {
		t.Fatalf("state = %+v; want active, owned by %s, nothing offered", s, agent2)
	}
	_, _, err = conversation.Apply(s, conversation.ReplyRequested{MessageID: "r1", AuthorID: agentID, Body: "hi", At: t3})
	if conversation.ErrorCode(err) != conversation.EForbidden {
		t.Errorf("another agent's reply: %v; want forbidden", err)
	}
	if _, _, err := conversation.Apply(s, conversation.ReplyRequested{MessageID: "r2", AuthorID: agent2, Body: "hi", At: t3}); err != nil {
		t.Errorf("the default assignee's reply: %v", err)
	}
	if _, _, err := conversation.Apply(s, conversation.EndRequested{By: by(agent2), At: t3}); err != nil {
		t.Errorf("the default assignee ends it: %v", err)
	}
}
