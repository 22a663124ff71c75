package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/dispatch"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// A blocked contact's text is stored but reaches no agent: no conversation, no offer.
func TestIntakeBlockedContactNotOffered(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	dana := s.newAgent("dana", "available")
	customer := newPhone()
	contact, err := s.store.EnsureContact(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	blocked := true
	if err := s.store.UpdateContact(ctx, contact.ID, store.ContactPatch{TeamID: s.team.ID, Blocked: &blocked}); err != nil {
		t.Fatal(err)
	}
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "let me in"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	reasons, _, err := s.store.ParkedOf(ctx, contact.ID)
	if err != nil || len(reasons) != 1 || reasons[0] != store.ParkedBlocked {
		t.Fatalf("parked = %v %v; want the text kept as blocked", reasons, err)
	}
	// A text from someone else is offered: the blocked one, sent first, never was.
	other := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: other, To: s.teamPhone, Body: "hi"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	eventually(t, "the other customer offered", func() bool { return len(s.offersFor(dana)) == 1 })
	if _, open, err := s.store.OpenConversationOf(ctx, s.team.ID, contact.ID); err != nil || open {
		t.Errorf("blocked contact has an open conversation (%v)", err)
	}
}

// A flood of new senders to one number opens at most the intake limit of conversations
// per window; the rest are stored, then released in arrival order, none lost.
func TestIntakeLimitParksAndReleasesInOrder(t *testing.T) {
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) {
		c.IntakeLimit, c.IntakeWindow = 2, 2*time.Second
	}})
	ctx := context.Background()
	var senders []string
	for range 6 {
		p := newPhone()
		senders = append(senders, p)
		if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: p, To: s.teamPhone, Body: "hi from " + p}); err != nil || code != 200 {
			t.Fatalf("inbound: %d %v", code, err)
		}
	}
	last, err := s.store.EnsureContact(ctx, senders[len(senders)-1])
	if err != nil {
		t.Fatal(err)
	}
	if reasons, _, _ := s.store.ParkedOf(ctx, last.ID); len(reasons) != 1 || reasons[0] != store.ParkedIntake {
		t.Fatalf("the last of 6 new senders: parked %v; want parked for intake (limit 2 per 2s)", reasons)
	}
	type conv struct {
		ContactPhone string    `json:"contact_phone"`
		OpenedAt     time.Time `json:"opened_at"`
	}
	var list struct {
		Conversations []conv `json:"conversations"`
	}
	eventuallyWithin(t, "every sender's conversation opened", time.Minute, func() bool {
		s.call("GET", "/v1/conversations?limit=50", s.agentTok, nil, &list)
		return len(list.Conversations) == len(senders)
	})
	// Newest first: reversed, the conversations opened in the order the texts came.
	for i, c := range list.Conversations {
		if want := senders[len(senders)-1-i]; c.ContactPhone != want {
			t.Errorf("conversation %d is %s; want %s (arrival order)", i, c.ContactPhone, want)
		}
	}
	if _, released, _ := s.store.ParkedOf(ctx, last.ID); len(released) != 1 || !released[0] {
		t.Errorf("the parked text is not marked released: %v", released)
	}
}

// Workers release parked texts one at a time: two passes at once release each text
// once and spend the number's intake budget once per text, not twice.
func TestReleaseParkedOncePerCluster(t *testing.T) {
	s := startStackWith(t, stackOptions{noWorker: true})
	ctx := context.Background()
	const n = 8
	for i := range n {
		p := newPhone()
		contact, err := s.store.EnsureContact(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.store.ParkInbound(ctx, store.ParkedInbound{MessageSid: fmt.Sprintf("SMpark%d%s", i, p[1:]), TeamID: s.team.ID,
			ContactID: contact.ID, From: p, To: s.teamPhone, Body: "parked", NumSegments: 1, ReceivedAt: time.Now().UTC()}, store.ParkedIntake); err != nil {
			t.Fatal(err)
		}
	}
	tc := s.temporal(t)
	released := make(chan int, 2)
	for range 2 {
		d := &dispatch.Dispatcher{Store: s.store, Temporal: tc, TaskQueue: s.cfg.TaskQueue, IntakeLimit: 1000}
		go func() {
			r, err := d.ReleaseParked(ctx)
			if err != nil {
				t.Error(err)
			}
			released <- r
		}()
	}
	if total := <-released + <-released; total != n {
		t.Errorf("released %d texts in two concurrent passes; want each of %d once", total, n)
	}
	var spent int
	if err := s.dbQueryRow(`SELECT coalesce(sum(n), 0) FROM rate_counters WHERE key = $1`, "intake:"+s.teamPhone).Scan(&spent); err != nil {
		t.Fatal(err)
	}
	if spent != n {
		t.Errorf("intake budget spent %d for %d texts", spent, n)
	}
}
