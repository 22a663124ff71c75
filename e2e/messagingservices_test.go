package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// Messaging Services and send rates through the admin API: a linked service's pool
// number joins the team in the service, an agent's reply from it reaches Twilio with
// the service's MessagingServiceSid (and its From, which the rate schedule and the
// exactly-once reconciliation key on), an unlinked service's numbers send without it;
// a number's send rate set through the API is the one the send schedule uses. Bad
// input is refused with the reason, and every change is in the audit log.
func TestMessagingServicesAndSendRatesThroughTheAPI(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	admin := s.newAdmin("admin")
	services := "/v1/teams/" + s.team.ID + "/messaging-services"
	const service = "MG0123456789abcdef0123456789abcd15"

	refused := func(what, method, path, token string, body any, status int, mention string) {
		t.Helper()
		var e apiError
		if code := s.call(method, path, token, body, &e); code != status || !strings.Contains(e.Error.Message, mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", what, code, e.Error.Message, status, mention)
		}
	}
	refused("agent links", "POST", services, s.agentTok, map[string]string{"sid": service}, 403, "admin")
	refused("malformed SID", "POST", services, admin.token, map[string]string{"sid": "MG123"}, 422, "MG followed by 32 hexadecimal digits")
	refused("a phone number for a SID", "POST", services, admin.token, map[string]string{"sid": "PN0123456789abcdef0123456789abcd15"}, 422, "not a Messaging Service SID")

	var linked store.MessagingService
	if code := s.call("POST", services, admin.token, map[string]string{"sid": service}, &linked); code != http.StatusCreated ||
		linked.SID != service || linked.LinkedAt.IsZero() {
		t.Fatalf("link: %d %+v", code, linked)
	}
	refused("linked twice", "POST", services, admin.token, map[string]string{"sid": service}, 409, "this team already")
	rival, _ := s.rivalTeam("Rival")
	refused("linked to another team", "POST", "/v1/teams/"+rival.ID+"/messaging-services", admin.token,
		map[string]string{"sid": service}, 409, "another team")

	// A customer texts a number of the service's pool: it joins the team, in the service,
	// and the agent's reply carries the service.
	pool, customer := newPhone(), newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: pool, MessagingServiceSid: service, Body: "Hello?"}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound to the pool: %d %v", code, err)
	}
	conv := s.conversationWith(customer)
	var list struct {
		Services []store.MessagingService `json:"messaging_services"`
	}
	if code := s.call("GET", services, admin.token, nil, &list); code != 200 || len(list.Services) != 1 ||
		list.Services[0].SID != service || !slices.Equal(list.Services[0].Numbers, []string{pool}) {
		t.Errorf("services: %d %+v; want %s with %s", code, list.Services, service, pool)
	}
	// A number the team had before the service was linked joins it when a message
	// reaches it through the service.
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: newPhone(), To: s.teamPhone, MessagingServiceSid: service, Body: "Hi"}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound to a team number through the service: %d %v", code, err)
	}
	want := []string{pool, s.teamPhone}
	slices.Sort(want)
	if code := s.call("GET", services, admin.token, nil, &list); code != 200 || len(list.Services) != 1 || !slices.Equal(list.Services[0].Numbers, want) {
		t.Errorf("services: %d %+v; want %s with %v", code, list.Services, service, want)
	}
	s.reply(conv.ID, "We are on it.")
	eventually(t, "the reply at the emulator", func() bool { return len(s.sentTo(customer)) == 1 })
	if got := s.sentTo(customer)[0]; got.MessagingServiceSid != service || got.From != pool {
		t.Errorf("reply: service %q from %s; want %s from %s", got.MessagingServiceSid, got.From, service, pool)
	}

	// Unlinked: the number stays the team's and sends without the service.
	refused("unlink, agent", "DELETE", services+"/"+service, s.agentTok, nil, 403, "admin")
	if code := s.call("DELETE", services+"/"+service, admin.token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("unlink: %d", code)
	}
	refused("unlinked twice", "DELETE", services+"/"+service, admin.token, nil, 404, "not linked")
	s.reply(conv.ID, "Done.")
	eventually(t, "the second reply at the emulator", func() bool { return len(s.sentTo(customer)) == 2 })
	if got := s.sentTo(customer)[1]; got.MessagingServiceSid != "" || got.From != pool {
		t.Errorf("reply after unlinking: service %q from %s; want none from %s", got.MessagingServiceSid, got.From, pool)
	}

	// Send rates.
	number := "/v1/teams/" + s.team.ID + "/numbers/" + url.PathEscape(s.teamPhone)
	const defaultRate = 1.0 // the stack's SMS_DEFAULT_SEND_RATE
	rateOf := func() float64 {
		t.Helper()
		r, err := s.store.SendRateOf(ctx, s.teamPhone, defaultRate)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name    string
		token   string
		body    any
		status  int
		mention string
	}{
		{"agent", s.agentTok, map[string]any{"send_rate": 10}, 403, "admin"},
		{"zero", admin.token, map[string]any{"send_rate": 0}, 422, "above 0"},
		{"negative", admin.token, map[string]any{"send_rate": -1}, 422, "above 0"},
		{"too fast", admin.token, map[string]any{"send_rate": 1001}, 422, "at most 1000"},
		{"not a number", admin.token, map[string]any{"send_rate": "fast"}, 400, "send_rate"},
		{"nothing", admin.token, map[string]any{}, 400, "nothing to change"},
		{"unknown service", admin.token, map[string]any{"messaging_service_sid": service}, 422, "not linked to the team"},
	} {
		refused("rate, "+c.name, "PATCH", number, c.token, c.body, c.status, c.mention)
	}
	refused("a number of another team", "PATCH", "/v1/teams/"+s.team.ID+"/numbers/"+url.PathEscape(rival.Numbers[0]), admin.token,
		map[string]any{"send_rate": 5}, 404, "not one of the team's numbers")
	if r := rateOf(); r != defaultRate {
		t.Fatalf("rate after refused changes: %v; want the default %v", r, defaultRate)
	}
	var n store.TeamNumber
	if code := s.call("PATCH", number, admin.token, map[string]any{"send_rate": 100}, &n); code != 200 || n.SendRate == nil || *n.SendRate != 100 {
		t.Fatalf("set rate: %d %+v", code, n)
	}
	if r := rateOf(); r != 100 {
		t.Errorf("the send schedule's rate: %v; want the 100 set through the API", r)
	}
	var numbers struct {
		Numbers         []store.TeamNumber `json:"numbers"`
		DefaultSendRate float64            `json:"default_send_rate"`
	}
	if code := s.call("GET", "/v1/teams/"+s.team.ID+"/numbers", admin.token, nil, &numbers); code != 200 || numbers.DefaultSendRate <= 0 ||
		!slices.ContainsFunc(numbers.Numbers, func(n store.TeamNumber) bool {
			return n.Number == s.teamPhone && n.SendRate != nil && *n.SendRate == 100
		}) {
		t.Errorf("numbers: %d %+v", code, numbers)
	}
	if code := s.call("PATCH", number, admin.token, map[string]any{"send_rate": nil}, &n); code != 200 || n.SendRate != nil {
		t.Errorf("reset rate: %d %+v", code, n)
	}
	if r := rateOf(); r != defaultRate {
		t.Errorf("rate after reset: %v; want the default %v", r, defaultRate)
	}

	// The send schedule paces a number at the rate set through the API: two one-segment
	// messages from it are 1/50 s apart (plus the 1% margin), not the default's 1 s.
	sender := newPhone()
	if code := s.call("POST", "/v1/teams/"+s.team.ID+"/numbers", admin.token, map[string]string{"number": sender}, nil); code != http.StatusCreated {
		t.Fatalf("add number: %d", code)
	}
	if code := s.call("PATCH", "/v1/teams/"+s.team.ID+"/numbers/"+url.PathEscape(sender), admin.token, map[string]any{"send_rate": 50}, nil); code != 200 {
		t.Fatalf("set rate: %d", code)
	}
	var slots []time.Time
	for i := range 2 {
		id := uuid.NewString()
		if _, err := s.store.InsertOutbound(ctx, store.Message{ID: id, ConversationID: conv.ID, Kind: "text", From: sender, To: customer,
			Body: "paced", CreatedAt: time.Now().UTC().Add(time.Duration(i) * time.Millisecond)}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.ReserveSendSlot(ctx, id, defaultRate, activities.DefaultValidityPeriod); err != nil {
			t.Fatal(err)
		}
		at, err := s.store.SendSlot(ctx, id)
		if err != nil || at == nil {
			t.Fatalf("slot: %v %v", at, err)
		}
		slots = append(slots, *at)
	}
	if gap := slots[1].Sub(slots[0]); gap < 19*time.Millisecond || gap > 21*time.Millisecond {
		t.Errorf("slots %s apart; want 20.2ms (50 segments/s set through the API, 1%% margin)", gap)
	}

	// Every change is audited, on the team.
	var page auditPage
	if err := s.mustSend(apiRequest{method: "GET", path: "/v1/audit-events?target_id=" + s.team.ID, token: admin.token}, http.StatusOK).decode(&page); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range page.Events {
		actions = append(actions, ev.Action)
	}
	want = []string{"team.number_update", "team.number_add", "team.number_update", "team.number_update", "team.messaging_service_unlink", "team.messaging_service_link"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit events on the team: %v; want %v (newest first)", actions, want)
	}
}
