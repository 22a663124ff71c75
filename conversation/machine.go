package conversation

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Apply returns the state after ev and the commands it requires. It never mutates s.
// An error means the event is refused and nothing changed; because Apply is pure, the
// workflow's update validators call it on a copy to answer yes or no.
func Apply(s State, ev Event) (State, []Command, error) {
	m := machine{s: s.clone()}
	var err error
	switch ev := ev.(type) {
	case InboundReceived:
		err = m.inbound(ev)
	case RouteRequested:
		err = m.routeRequested(ev)
	case AgentReserved:
		err = m.reserved(ev)
	case Tick:
		err = m.tick(ev)
	case Accepted:
		err = m.accept(ev)
	case ReplyRequested:
		err = m.reply(ev)
	case NoteAdded:
		err = m.note(ev)
	case AssignRequested:
		err = m.assign(ev)
	case VisibilitySet:
		err = m.setVisibility(ev)
	case TransferRequested:
		err = m.transfer(ev)
	case ConferenceRequested:
		err = m.conference(ev)
	case ConferenceLeft:
		err = m.leaveConference(ev)
	case EndRequested:
		err = m.end(ev)
	case WrapUpSubmitted:
		err = m.wrapUp(ev)
	case ArchiveRequested:
		err = m.archive(ev)
	case DeleteRequested:
		err = m.delete(ev)
	case ScheduleRequested:
		err = m.schedule(ev)
	case ScheduleCancelled:
		err = m.cancelScheduled(ev)
	default:
		err = Errorf(EInternal, "unknown event %T", ev)
	}
	if err != nil {
		return s, nil, err
	}
	if !m.changed {
		return s, m.cmds, nil
	}
	m.s.Version++
	cmds := append(m.cmds, SaveState{})
	return m.s, append(cmds, m.after...), nil
}

// machine accumulates one event's effects.
type machine struct {
	s       State
	cmds    []Command
	after   []Command // run after SaveState
	changed bool      // the mirrored state changed: bump Version and SaveState
}

func (m *machine) emit(c ...Command)      { m.cmds = append(m.cmds, c...) }
func (m *machine) emitAfter(c ...Command) { m.after = append(m.after, c...) }

// notifyOffer tells an agent of an offer this event made. The offer row is written by
// SaveState, so the notification follows it when afterSave (see TransferRequested).
func (m *machine) notifyOffer(afterSave bool, n Notify) {
	if afterSave {
		m.emitAfter(n)
		return
	}
	m.emit(n)
}
func (m *machine) touch() { m.changed = true }

func (m *machine) requireOpen() error {
	if m.s.Closed() {
		return Errorf(EConflict, "conversation is closed; it is read-only")
	}
	return nil
}

// requireAssigneeOrAdmin: agent actions on an assigned conversation are for its
// assignees (and admins).
func (m *machine) requireAssigneeOrAdmin(by Caller, action string) error {
	return RequireAssigneeOrAdmin(m.s, by, action)
}

// RequireAssigneeOrAdmin is the rule of archive, end and wrap-up, exported for the
// one action decided outside the workflow: unarchiving a closed conversation, whose
// run has finished (its last assignees or an admin).
func RequireAssigneeOrAdmin(s State, by Caller, action string) error {
	if by.Admin || s.IsAssignee(by.UserID) {
		return nil
	}
	return Errorf(EForbidden, "only the conversation's assignees or an admin can %s", action)
}

func (m *machine) requireOwnerOrAdmin(by Caller, action string) error {
	if by.Admin || (by.UserID != "" && by.UserID == m.s.Owner()) {
		return nil
	}
	return Errorf(EForbidden, "only the agent who owns the conversation or an admin can %s", action)
}

func (m *machine) setNextAction(a Actor, at time.Time) {
	if m.s.NextAction != a {
		m.s.NextAction = a
		m.s.NextActionSince = at
	}
}

// route starts an agent reservation if the conversation waits for one.
func (m *machine) route() {
	s := &m.s
	if s.Status != StatusNew || len(s.Assignees) > 0 || s.Offer != nil || s.RouteAttempt != 0 {
		return
	}
	if m.assignDefaults() {
		return // the contact's default assignees have it: nobody is offered it
	}
	s.Seq++
	s.RouteAttempt = s.Seq
	m.emit(ReserveAgent{Attempt: s.Seq, TeamID: s.TeamID, VisibleTo: slices.Clone(s.VisibleTo)})
	m.touch()
}

// assignDefaults gives a conversation that opens new and unassigned to the contact's
// default assignees (State.DefaultAssignees) who may see it, as an admin's assign
// would: they are its assignees, it is active and they are told; nobody is offered it
// and, as for any assignment made by people, neither capacity nor presence is checked.
// It reports whether it assigned them. The list applies once, when the conversation
// opens: it is dropped either way, so a conversation that opens assigned (an agent
// wrote first) or that none of them may see any more is routed later as any other.
func (m *machine) assignDefaults() bool {
	s := &m.s
	if len(s.DefaultAssignees) == 0 {
		return false
	}
	users := slices.DeleteFunc(compact(s.DefaultAssignees), func(u string) bool { return !s.VisibleToUser(u) })
	s.DefaultAssignees = nil
	m.touch()
	if s.Status != StatusNew || len(s.Assignees) > 0 || len(users) == 0 {
		return false
	}
	m.withdrawOffer(NotifyOfferWithdrawn, "the conversation went to the contact's default assignees")
	for _, u := range users {
		m.emit(Notify{UserID: u, Kind: NotifyAssigned, Text: "a new conversation was assigned to you: you are a default assignee of its contact"})
	}
	s.Assignees = users
	s.Status = StatusActive
	return true
}

// withdrawOffer cancels a pending offer (its reservation goes with the next SaveState).
func (m *machine) withdrawOffer(kind NotifyKind, text string) {
	if o := m.s.Offer; o != nil {
		m.s.Offer = nil
		m.emit(Notify{UserID: o.UserID, Kind: kind, Text: text})
		m.touch()
	}
	// A reservation still in flight is now stale; its result is dropped.
	m.s.RouteAttempt = 0
}

func (m *machine) inbound(ev InboundReceived) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	s := &m.s
	if ev.Settings != (Settings{}) {
		s.Settings = ev.Settings.WithDefaults()
	}
	// Webhook receive times can trail a reply already applied; time never goes back.
	if ev.At.After(s.LastMessageAt) {
		s.LastMessageAt = ev.At
	}
	m.setNextAction(ActorAgent, s.LastMessageAt)
	m.touch()

	switch s.Status {
	case StatusOutbound:
		// The customer answered: an agent who already wrote keeps it; otherwise route it.
		s.Status = StatusNew
		if len(s.Assignees) > 0 {
			s.Status = StatusActive
		}
	case StatusWrapUp:
		// The customer is still talking: the conversation goes back to its agent.
		s.Status = StatusActive
		s.WrapUpDeadline = time.Time{}
		m.emit(Notify{UserID: s.Owner(), Kind: NotifyReopened, Text: "the customer wrote during wrap-up; the conversation is open again"})
	}
	// The conversation opens: if nobody has it yet, the contact's default assignees
	// take it. With chat off it is missed and auto-answered as any other, and keeps
	// its defaults: they take it when chat comes back on (routeRequested).
	if ev.ChatOn {
		m.assignDefaults()
	}
	if s.Status == StatusNew && len(s.Assignees) == 0 && !ev.ChatOn {
		s.Status = StatusMissed
		m.withdrawOffer(NotifyOfferWithdrawn, "chat is off")
	}
	if s.Status == StatusMissed && ev.ChatOn {
		s.Status = StatusNew
	}
	if ev.HelpReply != "" {
		m.emit(SendMessage{MessageID: HelpReplyID(ev.MessageID), Kind: KindHelp, Body: ev.HelpReply})
	}
	// A conversation nobody has picked up gets the auto-response at most once per
	// interval; one an agent is working keeps going to that agent whatever the chat state.
	// A contact who just opted out gets nothing.
	if s.Status == StatusMissed && ev.AutoResponse != "" && !ev.OptedOut && ev.HelpReply == "" &&
		(s.AutoResponseSentAt.IsZero() || !ev.At.Before(s.AutoResponseSentAt.Add(s.Settings.WithDefaults().AutoResponseInterval))) {
		s.AutoResponseSentAt = ev.At
		m.emit(SendMessage{MessageID: AutoResponseID(ev.MessageID), Kind: KindAutoResponse, Body: ev.AutoResponse})
	}
	m.route()
	return nil
}

func (m *machine) routeRequested(ev RouteRequested) error {
	if m.s.Closed() {
		return nil // nothing to route; not an error for a broadcast nudge
	}
	if m.s.Status == StatusMissed && ev.ChatOn && len(m.s.Assignees) == 0 {
		m.s.Status = StatusNew
		m.touch()
	}
	m.route()
	return nil
}

func (m *machine) reserved(ev AgentReserved) error {
	s := &m.s
	// Always mirror after a reservation: if the result is stale, the SaveState drops the
	// reservation row the activity wrote.
	m.touch()
	if ev.Attempt != s.RouteAttempt || ev.Attempt == 0 {
		return nil
	}
	s.RouteAttempt = 0
	if ev.UserID == "" || s.Status != StatusNew || len(s.Assignees) > 0 || s.Offer != nil {
		return nil // nobody free: wait in New until someone becomes available
	}
	s.Seq++
	s.Offer = &Offer{
		Seq: s.Seq, Kind: OfferRoute, UserID: ev.UserID,
		OfferedAt: ev.At, ExpiresAt: ev.At.Add(s.Settings.WithDefaults().OfferTimeout),
	}
	m.emit(Notify{UserID: ev.UserID, Kind: NotifyOffer, Text: "new conversation offered"})
	return nil
}

func (m *machine) tick(ev Tick) error {
	s := &m.s
	if s.Closed() {
		return nil
	}
	// Scheduled messages first: a message due at the same instant the conversation
	// goes inactive is still sent.
	for len(s.Scheduled) > 0 && !ev.At.Before(s.Scheduled[0].SendAt) {
		sc := s.Scheduled[0]
		s.Scheduled = s.Scheduled[1:]
		s.LastMessageAt = ev.At
		m.emit(SendMessage{MessageID: ScheduledMessageID(sc.ID), Kind: KindScheduled, AuthorID: sc.AuthorID, Body: sc.Body, ScheduledID: sc.ID})
		m.touch()
	}
	if o := s.Offer; o != nil && !ev.At.Before(o.ExpiresAt) {
		s.Offer, s.ExpiredOffer = nil, o
		m.touch()
		switch o.Kind {
		case OfferRoute:
			// RONA: the agent stays RONA until they make themselves Available again.
			m.emit(MarkRONA{UserID: o.UserID, OfferedAt: o.OfferedAt}, Notify{UserID: o.UserID, Kind: NotifyOfferExpired, Text: "offer expired; your presence is now RONA"})
			m.route()
		default:
			m.emit(
				Notify{UserID: o.UserID, Kind: NotifyOfferExpired, Text: "offer expired"},
				Notify{UserID: o.FromUserID, Kind: NotifyTransferFailed, Text: string(o.Kind) + " was not accepted in time; the conversation stays with you"},
			)
		}
	}
	if s.Status == StatusWrapUp && !s.WrapUpDeadline.IsZero() && !ev.At.Before(s.WrapUpDeadline) {
		m.close(ev.At, s.Settings.WithDefaults().DefaultWrapUpReason, ClosedWrappedUp)
		return nil
	}
	if at := s.InactiveAt(); !at.IsZero() && !ev.At.Before(at) {
		m.close(ev.At, "inactive", ClosedInactive)
	}
	return nil
}

func (m *machine) accept(ev Accepted) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	s := &m.s
	o := s.Offer
	if (o == nil || o.UserID != ev.By.UserID) && s.ExpiredOffer != nil && s.ExpiredOffer.UserID == ev.By.UserID {
		o = s.ExpiredOffer // a late accept: say why it fails
	}
	if o == nil || o.UserID != ev.By.UserID {
		return Errorf(EConflict, "there is no pending offer for you on this conversation")
	}
	if !ev.At.Before(o.ExpiresAt) {
		return Errorf(EConflict, "the offer expired at %s", o.ExpiresAt.UTC().Format(time.RFC3339))
	}
	s.Offer = nil
	switch o.Kind {
	case OfferRoute:
		s.Assignees = []string{o.UserID}
		if s.Status == StatusNew || s.Status == StatusMissed {
			s.Status = StatusActive
		}
	case OfferTransfer:
		for _, u := range s.Assignees {
			m.emit(Notify{UserID: u, Kind: NotifyTransferred, Text: "the conversation was transferred"})
		}
		s.Assignees = []string{o.UserID}
	case OfferConference:
		s.Assignees = append(s.Assignees, o.UserID)
		m.emit(Notify{UserID: s.Owner(), Kind: NotifyConferenceJoin, Text: "an agent joined the conversation"})
	}
	m.touch()
	return nil
}

func (m *machine) reply(ev ReplyRequested) error {
	if err := ValidateReply(m.s, ev); err != nil {
		return err
	}
	s := &m.s
	if len(s.Assignees) == 0 {
		// Replying to an unassigned conversation takes it.
		m.withdrawOffer(NotifyOfferWithdrawn, "another agent took the conversation")
		s.Assignees = []string{ev.AuthorID}
	}
	if s.Status == StatusNew || s.Status == StatusMissed {
		s.Status = StatusActive
	}
	s.LastMessageAt = ev.At
	m.setNextAction(ActorCustomer, ev.At)
	m.emit(SendMessage{MessageID: ev.MessageID, Kind: KindText, AuthorID: ev.AuthorID, Body: ev.Body})
	m.touch()
	return nil
}

// ValidateReply says whether a reply may be sent now, without changing anything.
func ValidateReply(s State, ev ReplyRequested) error {
	if s.Status == StatusClosed || s.Status == StatusWrapUp {
		return Errorf(EConflict, "conversation is %s; it is read-only", s.Status)
	}
	if ev.MessageID == "" || ev.AuthorID == "" {
		return Errorf(EInvalid, "message id and author are required")
	}
	if !ev.Admin && !s.VisibleToUser(ev.AuthorID) {
		return Errorf(ENotFound, "conversation not found")
	}
	if len(s.Assignees) > 0 && !ev.Admin && !s.IsAssignee(ev.AuthorID) {
		return Errorf(EForbidden, "the conversation is assigned to another agent; only its assignees or an admin can reply")
	}
	return ValidateBody(ev.Body)
}

func (m *machine) note(ev NoteAdded) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	if ev.MessageID == "" {
		return Errorf(EInvalid, "note id is required")
	}
	if err := ValidateBody(ev.Body); err != nil {
		return err
	}
	m.emit(RecordNote{MessageID: ev.MessageID, AuthorID: ev.By.UserID, Body: ev.Body})
	return nil
}

func (m *machine) assign(ev AssignRequested) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	s := &m.s
	users := compact(ev.UserIDs)
	if len(users) == 0 {
		return Errorf(EInvalid, "user_ids must name at least one user")
	}
	if !ev.By.Admin && !ev.By.Supervisor {
		if len(users) != 1 || users[0] != ev.By.UserID {
			return Errorf(EForbidden, "only admins and the team's supervisors can assign other users; agents can assign themselves")
		}
		if len(s.Assignees) > 0 {
			return Errorf(EConflict, "the conversation is already assigned")
		}
	}
	if s.Status == StatusWrapUp {
		return Errorf(EConflict, "conversation is in wrap-up")
	}
	for _, u := range users {
		if err := m.requireVisible(u); err != nil {
			return err
		}
	}
	if s.Offer != nil && !slices.Contains(users, s.Offer.UserID) {
		m.withdrawOffer(NotifyOfferWithdrawn, "the conversation was assigned to someone else")
	}
	s.Offer, s.RouteAttempt = nil, 0
	for _, u := range s.Assignees {
		if !slices.Contains(users, u) {
			m.emit(Notify{UserID: u, Kind: NotifyUnassigned, Text: "you were unassigned"})
		}
	}
	for _, u := range users {
		if !s.IsAssignee(u) {
			m.emit(Notify{UserID: u, Kind: NotifyAssigned, Text: "a conversation was assigned to you"})
		}
	}
	s.Assignees = users
	if s.Status == StatusNew || s.Status == StatusMissed || s.Status == StatusOutbound {
		s.Status = StatusActive
	}
	m.touch()
	return nil
}

// requireVisible refuses to put a user on a restricted conversation they cannot see.
func (m *machine) requireVisible(userID string) error {
	if !m.s.VisibleToUser(userID) {
		return Errorf(EUnprocessable, "user %s cannot see this conversation (it is restricted); add them to its visibility first", userID)
	}
	return nil
}

// setVisibility restricts the conversation to a list of users, or lifts the
// restriction (an empty list). The list keeps everyone already on the conversation.
func (m *machine) setVisibility(ev VisibilitySet) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	if err := m.requireOwnerOrAdmin(ev.By, "change who sees it"); err != nil {
		return err
	}
	s := &m.s
	users := compact(ev.UserIDs)
	slices.Sort(users)
	if len(users) > 0 {
		for _, u := range s.Assignees {
			if !slices.Contains(users, u) {
				return Errorf(EUnprocessable, "user %s is on the conversation; a restricted conversation stays visible to its assignees", u)
			}
		}
		if s.Offer != nil && !slices.Contains(users, s.Offer.UserID) {
			return Errorf(EConflict, "an offer to user %s is pending; wait for it to be accepted or expire", s.Offer.UserID)
		}
	}
	if slices.Equal(users, s.VisibleTo) {
		return nil
	}
	s.VisibleTo = users
	m.touch()
	return nil
}

func (m *machine) requireActiveWithoutOffer(action string) error {
	if m.s.Status != StatusActive {
		return Errorf(EConflict, "only an accepted, active conversation can be %s (it is %s)", action, m.s.Status)
	}
	if m.s.Offer != nil {
		return Errorf(EConflict, "an offer to another agent is pending; wait for it to be accepted or expire")
	}
	return nil
}

func (m *machine) transfer(ev TransferRequested) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	if err := m.requireOwnerOrAdmin(ev.By, "transfer it"); err != nil {
		return err
	}
	if err := m.requireActiveWithoutOffer("transferred"); err != nil {
		return err
	}
	s := &m.s
	switch {
	case (ev.ToUserID == "") == (ev.ToTeamID == ""):
		return Errorf(EInvalid, "transfer to exactly one of user_id or team_id")
	case ev.ToUserID != "":
		if s.IsAssignee(ev.ToUserID) {
			return Errorf(EInvalid, "that user is already on the conversation")
		}
		if err := m.requireVisible(ev.ToUserID); err != nil {
			return err
		}
		s.Seq++
		s.Offer = &Offer{Seq: s.Seq, Kind: OfferTransfer, UserID: ev.ToUserID, FromUserID: s.Owner(),
			OfferedAt: ev.At, ExpiresAt: ev.At.Add(s.Settings.WithDefaults().OfferTimeout)}
		m.notifyOffer(ev.NotifyAfterSave, Notify{UserID: ev.ToUserID, Kind: NotifyOffer, Text: "a conversation is being transferred to you"})
	default:
		if ev.ToTeamID == s.TeamID {
			return Errorf(EInvalid, "the conversation is already in that team")
		}
		for _, u := range s.Assignees {
			m.emit(Notify{UserID: u, Kind: NotifyUnassigned, Text: "the conversation was transferred to another team"})
		}
		m.emitAfter(NudgeWaiting{TeamID: s.TeamID})
		s.TeamID = ev.ToTeamID
		s.Assignees = nil
		s.DefaultAssignees = nil // chosen for the old team; the new one routes it
		s.Status = StatusNew
		m.route()
	}
	m.touch()
	return nil
}

func (m *machine) conference(ev ConferenceRequested) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	if err := m.requireOwnerOrAdmin(ev.By, "add an agent"); err != nil {
		return err
	}
	if err := m.requireActiveWithoutOffer("conferenced"); err != nil {
		return err
	}
	s := &m.s
	if ev.UserID == "" || s.IsAssignee(ev.UserID) {
		return Errorf(EInvalid, "name an agent who is not already on the conversation")
	}
	if err := m.requireVisible(ev.UserID); err != nil {
		return err
	}
	s.Seq++
	s.Offer = &Offer{Seq: s.Seq, Kind: OfferConference, UserID: ev.UserID, FromUserID: s.Owner(),
		OfferedAt: ev.At, ExpiresAt: ev.At.Add(s.Settings.WithDefaults().OfferTimeout)}
	m.notifyOffer(ev.NotifyAfterSave, Notify{UserID: ev.UserID, Kind: NotifyOffer, Text: "you are invited to join a conversation"})
	m.touch()
	return nil
}

func (m *machine) leaveConference(ev ConferenceLeft) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	s := &m.s
	if ev.UserID == "" || ev.UserID == s.Owner() || !s.IsAssignee(ev.UserID) {
		return Errorf(EInvalid, "that user is not a conferenced agent on this conversation")
	}
	if ev.By.UserID != ev.UserID {
		if err := m.requireOwnerOrAdmin(ev.By, "remove an agent"); err != nil {
			return err
		}
		m.emit(Notify{UserID: ev.UserID, Kind: NotifyUnassigned, Text: "you were removed from the conversation"})
	}
	s.Assignees = slices.DeleteFunc(s.Assignees, func(u string) bool { return u == ev.UserID })
	m.touch()
	return nil
}

func (m *machine) end(ev EndRequested) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	s := &m.s
	if s.Status != StatusActive {
		return Errorf(EConflict, "only an active conversation can be ended (it is %s)", s.Status)
	}
	if err := m.requireAssigneeOrAdmin(ev.By, "end it"); err != nil {
		return err
	}
	m.withdrawOffer(NotifyOfferWithdrawn, "the conversation ended")
	s.Status = StatusWrapUp
	s.WrapUpDeadline = ev.At.Add(s.Settings.WithDefaults().WrapUpTimeout)
	m.setNextAction(ActorNone, ev.At)
	m.touch()
	return nil
}

func (m *machine) wrapUp(ev WrapUpSubmitted) error {
	s := &m.s
	if s.Status != StatusWrapUp {
		return Errorf(EConflict, "the conversation is not in wrap-up (it is %s); end it first", s.Status)
	}
	if err := m.requireAssigneeOrAdmin(ev.By, "wrap it up"); err != nil {
		return err
	}
	if strings.TrimSpace(ev.Reason) == "" {
		return Errorf(EInvalid, "a wrap-up reason is required")
	}
	if ev.ClosingMessage != "" {
		if err := ValidateBody(ev.ClosingMessage); err != nil {
			return err
		}
		if ev.ClosingMessageID == "" {
			return Errorf(EInvalid, "closing message id is required")
		}
		m.emit(SendMessage{MessageID: ev.ClosingMessageID, Kind: KindClosing, AuthorID: ev.By.UserID, Body: ev.ClosingMessage})
	}
	m.close(ev.At, ev.Reason, ClosedWrappedUp)
	return nil
}

func (m *machine) archive(ev ArchiveRequested) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	if err := m.requireAssigneeOrAdmin(ev.By, "archive it"); err != nil {
		return err
	}
	m.close(ev.At, "", ClosedArchived)
	return nil
}

func (m *machine) delete(ev DeleteRequested) error {
	if !ev.By.Admin {
		return Errorf(EForbidden, "only an admin can delete a conversation")
	}
	if m.s.Closed() && m.s.CloseReason == ClosedDeleted {
		return nil
	}
	m.close(ev.At, "", ClosedDeleted)
	return nil
}

// close ends the conversation: it becomes read-only and the workflow run finishes.
func (m *machine) close(at time.Time, reason, why string) {
	s := &m.s
	m.withdrawOffer(NotifyOfferWithdrawn, "the conversation closed")
	if len(s.Assignees) > 0 {
		m.emitAfter(NudgeWaiting{TeamID: s.TeamID}) // their capacity is free again
	}
	if len(s.Scheduled) > 0 {
		if why == ClosedDeleted {
			for _, sc := range s.Scheduled {
				m.emit(CancelScheduled{ID: sc.ID, Reason: "the conversation was deleted"})
			}
		} else {
			m.emitAfter(RehomeScheduled{Items: slices.Clone(s.Scheduled)})
		}
		s.Scheduled = nil
	}
	s.Status = StatusClosed
	s.ClosedAt = at
	s.WrapUpDeadline = time.Time{}
	s.WrapUpReason = reason
	s.CloseReason = why
	m.setNextAction(ActorNone, at)
	m.touch()
}

func (m *machine) schedule(ev ScheduleRequested) error {
	if err := m.requireOpen(); err != nil {
		return err
	}
	s := &m.s
	sc := ev.Scheduled
	if sc.ID == "" || sc.SendAt.IsZero() {
		return Errorf(EInvalid, "a scheduled message needs an id and a send time")
	}
	if slices.ContainsFunc(s.Scheduled, func(x Scheduled) bool { return x.ID == sc.ID }) {
		return nil // a retried request: already pending
	}
	if err := ValidateBody(sc.Body); err != nil {
		return err
	}
	if len(s.Scheduled) >= MaxScheduled {
		return Errorf(EUnprocessable, "this conversation already has %d pending scheduled messages, the limit", MaxScheduled)
	}
	if ev.Capped {
		if err := checkScheduledCaps(s.Scheduled, sc.Body); err != nil {
			return err
		}
	}
	i, _ := slices.BinarySearchFunc(s.Scheduled, sc, func(a, b Scheduled) int {
		if c := a.SendAt.Compare(b.SendAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	s.Scheduled = slices.Insert(s.Scheduled, i, sc)
	m.emit(StoreScheduled{Scheduled: sc})
	m.touch()
	return nil
}

func (m *machine) cancelScheduled(ev ScheduleCancelled) error {
	s := &m.s
	i := slices.IndexFunc(s.Scheduled, func(x Scheduled) bool { return x.ID == ev.ID })
	if i < 0 {
		return Errorf(EConflict, "the scheduled message is not pending: it was already sent or cancelled")
	}
	s.Scheduled = slices.Delete(s.Scheduled, i, i+1)
	reason := ev.Reason
	if reason == "" {
		reason = "cancelled"
	}
	m.emit(CancelScheduled{ID: ev.ID, Reason: reason})
	m.touch()
	return nil
}

// checkScheduledCaps refuses one more pending message past MaxScheduledCount or
// MaxScheduledBytes, naming the cap.
func checkScheduledCaps(pending []Scheduled, body string) error {
	if len(pending) >= MaxScheduledCount {
		return Errorf(EUnprocessable, "this conversation already has %d pending scheduled messages, the limit (cancel some or wait until they are sent)", MaxScheduledCount)
	}
	total := len(body)
	for _, p := range pending {
		total += len(p.Body)
	}
	if total > MaxScheduledBytes {
		return Errorf(EUnprocessable, "the pending scheduled messages of this conversation would hold %d bytes of text; the limit is %d bytes", total, MaxScheduledBytes)
	}
	return nil
}

// ValidateText is ValidateBody plus what the API refuses in text people write: control
// characters other than newline and tab (they garble handsets and logs). It is not in
// ValidateBody, which workflows replay: histories from before the rule may hold them.
func ValidateText(body string) error {
	if err := ValidateBody(body); err != nil {
		return err
	}
	for i, r := range body {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return Errorf(EInvalid, "body has a control character (U+%04X) at byte %d; only newline and tab are allowed", r, i)
		}
	}
	return nil
}

// ValidateBody checks an outbound message body against the compose rules.
func ValidateBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return Errorf(EInvalid, "body must not be empty")
	}
	if !utf8.ValidString(body) {
		return Errorf(EInvalid, "body must be valid UTF-8")
	}
	if strings.ContainsRune(body, 0) {
		return Errorf(EInvalid, "body must not contain NUL characters")
	}
	if n := utf8.RuneCountInString(body); n > MaxBodyLength {
		return Errorf(EUnprocessable, "body is %d characters; the limit is %d", n, MaxBodyLength)
	}
	return nil
}

// compact drops empty and repeated ids, keeping the first occurrence's order.
func compact(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
