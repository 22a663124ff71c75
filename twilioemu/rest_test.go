package twilioemu_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func send(t *testing.T, e *env, to, body string) *api.ApiV2010Message {
	t.Helper()
	m, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo(to).SetFrom("+15557654321").SetBody(body))
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	return m
}

func TestCreateAndFetch(t *testing.T) {
	e := newEnv(t, twilioemu.Config{CallbackDelay: time.Hour}) // freeze at queued
	m, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551230001").SetFrom("+15557654321").SetBody("héllo wörld").
		SetMediaUrl([]string{"https://example.com/a.png"}).SetValidityPeriod(600))
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	sid := *m.Sid
	if len(sid) != 34 || !strings.HasPrefix(sid, "SM") {
		t.Errorf("sid = %q, want SM + 32 hex", sid)
	}
	checks := map[string][2]any{
		"account_sid":  {*m.AccountSid, testAccount},
		"to":           {*m.To, "+15551230001"},
		"from":         {*m.From, "+15557654321"},
		"body":         {*m.Body, "héllo wörld"},
		"status":       {*m.Status, "queued"},
		"direction":    {*m.Direction, "outbound-api"},
		"num_segments": {*m.NumSegments, "1"},
		"num_media":    {*m.NumMedia, "1"},
		"api_version":  {*m.ApiVersion, "2010-04-01"},
		"uri":          {*m.Uri, "/2010-04-01/Accounts/" + testAccount + "/Messages/" + sid + ".json"},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", field, c[0], c[1])
		}
	}
	if m.Price != nil || m.ErrorCode != nil || m.ErrorMessage != nil || m.MessagingServiceSid != nil {
		t.Errorf("price/error/messaging_service_sid should be null: %+v", m)
	}
	if m.DateSent != nil {
		t.Errorf("date_sent = %q, want null while queued", *m.DateSent)
	}
	created, err := time.Parse(time.RFC1123Z, *m.DateCreated)
	if err != nil || time.Since(created) > time.Minute || !strings.HasSuffix(*m.DateCreated, "+0000") {
		t.Errorf("date_created = %q (%v)", *m.DateCreated, err)
	}
	if (*m.SubresourceUris)["media"] == nil {
		t.Errorf("subresource_uris = %v", *m.SubresourceUris)
	}

	got, err := e.client.Api.FetchMessage(sid, nil)
	if err != nil {
		t.Fatalf("FetchMessage: %v", err)
	}
	if *got.Sid != sid || *got.Body != "héllo wörld" || *got.Status != "queued" {
		t.Errorf("fetched %+v", got)
	}

	rec := e.emu.Messages()
	if len(rec) != 1 || rec[0].Sid != sid || rec[0].ValidityPeriod != 600 ||
		!slices.Equal(rec[0].MediaURLs, []string{"https://example.com/a.png"}) {
		t.Errorf("Messages() = %+v", rec)
	}
}

func TestListPagesWithFilter(t *testing.T) {
	var listCalls atomic.Int32
	// Count list requests to prove twilio-go really followed next_page_uri.
	e := newEnv(t, twilioemu.Config{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Messages.json") {
				listCalls.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	})

	var want []string
	for i := range 5 {
		want = append(want, *send(t, e, "+15551230002", "msg "+string(rune('a'+i))).Sid)
		send(t, e, "+15551239999", "other")
	}
	slices.Reverse(want) // newest first

	got, err := e.client.Api.ListMessage((&api.ListMessageParams{}).
		SetTo("+15551230002").SetPageSize(2).SetLimit(100))
	if err != nil {
		t.Fatalf("ListMessage: %v", err)
	}
	var sids []string
	for _, m := range got {
		sids = append(sids, *m.Sid)
		if *m.To != "+15551230002" {
			t.Errorf("filter leaked %s to %s", *m.Sid, *m.To)
		}
	}
	if !slices.Equal(sids, want) {
		t.Errorf("listed %v, want %v", sids, want)
	}
	if n := listCalls.Load(); n != 3 {
		t.Errorf("list requests = %d, want 3 pages of 2", n)
	}

	// Limit stops early, like with Twilio.
	got, err = e.client.Api.ListMessage((&api.ListMessageParams{}).SetPageSize(2).SetLimit(3))
	if err != nil || len(got) != 3 {
		t.Fatalf("ListMessage limit 3: %d messages, err %v", len(got), err)
	}
}

func TestListDateSentFilters(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	sid := *send(t, e, "+15551230003", "dated").Sid
	waitFor(t, "message sent", func() bool {
		m, err := e.client.Api.FetchMessage(sid, nil)
		return err == nil && m.DateSent != nil
	})
	today := time.Now().UTC()
	yesterday, tomorrow := today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)
	cases := []struct {
		name   string
		params *api.ListMessageParams
		want   int
	}{
		{"on today", (&api.ListMessageParams{}).SetDateSent(today), 1},
		{"on yesterday", (&api.ListMessageParams{}).SetDateSent(yesterday), 0},
		{"before today", (&api.ListMessageParams{}).SetDateSentBefore(today), 1},
		{"before yesterday", (&api.ListMessageParams{}).SetDateSentBefore(yesterday), 0},
		{"after today", (&api.ListMessageParams{}).SetDateSentAfter(today), 1},
		{"after tomorrow", (&api.ListMessageParams{}).SetDateSentAfter(tomorrow), 0},
	}
	for _, c := range cases {
		got, err := e.client.Api.ListMessage(c.params)
		if err != nil || len(got) != c.want {
			t.Errorf("%s: %d messages, err %v; want %d", c.name, len(got), err, c.want)
		}
	}
}

func restErr(t *testing.T, err error) *client.TwilioRestError {
	t.Helper()
	var te *client.TwilioRestError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *client.TwilioRestError", err, err)
	}
	return te
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	params := (&api.CreateMessageParams{}).SetTo("+15551230004").SetFrom("+15557654321").SetBody("x")

	wrong := sms.NewClient(sms.Config{BaseURL: e.srv.URL, AccountSID: testAccount, AuthToken: "wrongtoken"})
	_, err := wrong.Api.CreateMessage(params)
	if te := restErr(t, err); te.Code != 20003 || te.Status != 401 ||
		te.MoreInfo != "https://www.twilio.com/docs/errors/20003" {
		t.Errorf("wrong token: %+v", te)
	}

	// Right credentials, someone else's account in the path.
	other := *params
	other.SetPathAccountSid("AC99999999999999999999999999999999")
	_, err = e.client.Api.CreateMessage(&other)
	if te := restErr(t, err); te.Code != 20003 {
		t.Errorf("foreign account: %+v", te)
	}
	if n := len(e.emu.Messages()); n != 0 {
		t.Errorf("rejected requests created %d messages", n)
	}
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	base := func() *api.CreateMessageParams {
		return (&api.CreateMessageParams{}).SetTo("+15551230005").SetFrom("+15557654321").SetBody("x")
	}
	cases := []struct {
		name   string
		params *api.CreateMessageParams
		code   int
	}{
		{"missing To", &api.CreateMessageParams{From: ptr("+15557654321"), Body: ptr("x")}, 21604},
		{"missing Body and MediaUrl", &api.CreateMessageParams{To: ptr("+15551230005"), From: ptr("+15557654321")}, 21602},
		{"missing From and service", &api.CreateMessageParams{To: ptr("+15551230005"), Body: ptr("x")}, 21603},
		{"To not E.164", base().SetTo("555-1234"), 21211},
		{"body too long", base().SetBody(strings.Repeat("x", 1601)), 21617},
		{"bad media URL", base().SetMediaUrl([]string{"not a url"}), 21620},
		{"bad StatusCallback", base().SetStatusCallback("/relative"), 21609},
	}
	for _, c := range cases {
		_, err := e.client.Api.CreateMessage(c.params)
		if te := restErr(t, err); te.Code != c.code || te.Status != 400 {
			t.Errorf("%s: got %d/%d, want %d/400", c.name, te.Code, te.Status, c.code)
		}
	}

	// A messaging service stands in for From; media stands in for Body.
	m, err := e.client.Api.CreateMessage(&api.CreateMessageParams{
		To: ptr("+15551230005"), MessagingServiceSid: ptr("MG0123456789abcdef0123456789abcdef"),
		MediaUrl: &[]string{"https://example.com/cat.jpg"},
	})
	if err != nil {
		t.Fatalf("service + media: %v", err)
	}
	if m.From != nil || *m.MessagingServiceSid != "MG0123456789abcdef0123456789abcdef" {
		t.Errorf("service message: from=%v mss=%v", m.From, m.MessagingServiceSid)
	}

	_, err = e.client.Api.FetchMessage("SM00000000000000000000000000000000", nil)
	if te := restErr(t, err); te.Code != 20404 || te.Status != 404 {
		t.Errorf("unknown sid: %+v", te)
	}
}
