package dispatch

import (
	"cmp"
	"context"
	"time"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// Intake limits, between the webhook and the workflows. A text from a blocked contact is
// stored (parked "blocked") and reaches no conversation: it is never offered and takes
// no agent's capacity. A text that would open a new conversation on a number past
// IntakeLimit new conversations in the current window (IntakeWindow) is stored (parked "intake")
// and released by the worker (ReleaseParked) as the budget allows, oldest first. Texts
// are never dropped: Twilio gets its 200 once the text is in Postgres.
//
// Order: while any text waits on a number, new senders queue behind it; a contact's next
// text waits behind their own parked one. Texts to an open conversation pass at once.

// DefaultIntakeLimit is the new conversations a number opens at most per window
// (DefaultIntakeWindow).
const (
	DefaultIntakeLimit  = 120
	DefaultIntakeWindow = time.Minute
)

func (d *Dispatcher) intakeLimit() int            { return cmp.Or(d.IntakeLimit, DefaultIntakeLimit) }
func (d *Dispatcher) intakeWindow() time.Duration { return cmp.Or(d.IntakeWindow, DefaultIntakeWindow) }

func intakeKey(number string) string { return "intake:" + number }

// Receive hands a webhook's text to its conversation, or parks it (blocked contact,
// intake limit). It returns the parking reason ("" when delivered).
func (d *Dispatcher) Receive(ctx context.Context, team store.Team, contact store.Contact, sig workflows.InboundSignal) (string, error) {
	park := func(reason string) (string, error) {
		return reason, d.Store.ParkInbound(ctx, store.ParkedInbound{MessageSid: sig.MessageSid, TeamID: team.ID, ContactID: contact.ID,
			From: sig.From, To: sig.To, Body: sig.Body, NumSegments: sig.NumSegments, ReceivedAt: sig.ReceivedAt}, reason)
	}
	// Blocking is the team's (contact_team_settings), not the shared contact's.
	settings, err := d.Store.TeamSettingsOf(ctx, contact.ID, team.ID)
	if err != nil {
		return "", err
	}
	if settings.Blocked {
		return park(store.ParkedBlocked)
	}
	waiting, theirs, err := d.Store.HasParkedIntake(ctx, sig.To, team.ID, contact.ID)
	if err != nil {
		return "", err
	}
	if theirs {
		return park(store.ParkedIntake)
	}
	if _, open, err := d.Store.OpenConversationOf(ctx, team.ID, contact.ID); err != nil {
		return "", err
	} else if !open {
		if waiting {
			return park(store.ParkedIntake)
		}
		n, _, err := d.Store.Hit(ctx, intakeKey(sig.To), d.intakeWindow())
		if err != nil {
			return "", err
		}
		if n > d.intakeLimit() {
			return park(store.ParkedIntake)
		}
	}
	_, err = d.Inbound(ctx, team, contact, sig)
	return "", err
}

// ReleaseParked delivers texts parked by the intake limit, per number oldest first,
// while the number's budget for the window lasts. A text is marked released after it
// reached its workflow; a crash in between delivers it again, which the workflow
// ignores (RecordInbound stores a MessageSid once). It returns how many it released.
//
// Every worker calls it; one at a time releases (an advisory lock), the others skip
// the pass. Concurrent passes would each spend the number's budget on the same texts
// (N workers: 1/N of the intake limit) and signal each text N times.
func (d *Dispatcher) ReleaseParked(ctx context.Context) (int, error) {
	unlock, ok, err := d.Store.TryLock(ctx, "textdesk:release-parked")
	if err != nil || !ok {
		return 0, err
	}
	defer unlock()
	numbers, err := d.Store.ParkedNumbers(ctx)
	if err != nil {
		return 0, err
	}
	released := 0
	for _, number := range numbers {
		parked, err := d.Store.ParkedToRelease(ctx, number, d.intakeLimit())
		if err != nil {
			return released, err
		}
	texts:
		for _, p := range parked {
			team, err := d.Store.Team(ctx, p.TeamID)
			if err != nil {
				return released, err
			}
			contact, err := d.Store.ContactByID(ctx, p.ContactID)
			if err != nil {
				return released, err
			}
			if _, open, err := d.Store.OpenConversationOf(ctx, team.ID, contact.ID); err != nil {
				return released, err
			} else if !open {
				n, _, err := d.Store.Hit(ctx, intakeKey(number), d.intakeWindow())
				if err != nil {
					return released, err
				}
				if n > d.intakeLimit() {
					break texts // this number's budget is spent; next window
				}
			}
			sig := workflows.InboundSignal{MessageSid: p.MessageSid, From: p.From, To: p.To, Body: p.Body,
				NumSegments: p.NumSegments, ReceivedAt: p.ReceivedAt}
			if _, err := d.Inbound(ctx, team, contact, sig); err != nil {
				return released, err
			}
			if err := d.Store.MarkReleased(ctx, p.MessageSid); err != nil {
				return released, err
			}
			released++
		}
	}
	return released, nil
}
