package twilioemu_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/textdesk/textdesk/twilioemu"
)

// getJSON performs an authenticated GET of a Twilio-relative URI.
func getJSON(t *testing.T, e *env, uri string, status int, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testAccount, testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, resp, status, v)
}

type page struct {
	Messages []struct {
		Sid string `json:"sid"`
	} `json:"messages"`
	End             int     `json:"end"`
	FirstPageURI    string  `json:"first_page_uri"`
	NextPageURI     *string `json:"next_page_uri"`
	Page            int     `json:"page"`
	PageSize        int     `json:"page_size"`
	PreviousPageURI *string `json:"previous_page_uri"`
	Start           int     `json:"start"`
	URI             string  `json:"uri"`
}

func (p page) sids() []string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, m.Sid)
	}
	return out
}

// Cursors keep paging stable while new messages arrive, and the envelope
// carries every field twilio-go's ListMessageResponse reads.
func TestListEnvelopeAndCursors(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	var sids []string // oldest first
	for range 5 {
		sids = append(sids, *send(t, e, "+15551230030", "x").Sid)
	}
	base := "/2010-04-01/Accounts/" + testAccount + "/Messages.json"

	var raw map[string]json.RawMessage
	getJSON(t, e, base+"?To=%2B15551230030&PageSize=2", http.StatusOK, &raw)
	for _, k := range []string{"messages", "end", "first_page_uri", "next_page_uri", "page", "page_size", "previous_page_uri", "start", "uri"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("envelope lacks %q", k)
		}
	}

	var p1 page
	getJSON(t, e, base+"?To=%2B15551230030&PageSize=2", http.StatusOK, &p1)
	if got := p1.sids(); len(got) != 2 || got[0] != sids[4] || got[1] != sids[3] {
		t.Fatalf("page 0 = %v", got)
	}
	if p1.Page != 0 || p1.PageSize != 2 || p1.Start != 0 || p1.End != 1 || p1.PreviousPageURI != nil || p1.NextPageURI == nil {
		t.Fatalf("page 0 envelope = %+v", p1)
	}
	next, err := url.Parse(*p1.NextPageURI)
	if err != nil || next.Query().Get("To") != "+15551230030" || next.Query().Get("Page") != "1" {
		t.Fatalf("next_page_uri = %s", *p1.NextPageURI)
	}

	// A newer message must not shift the next page.
	send(t, e, "+15551230030", "newer")
	var p2 page
	getJSON(t, e, *p1.NextPageURI, http.StatusOK, &p2)
	if got := p2.sids(); len(got) != 2 || got[0] != sids[2] || got[1] != sids[1] {
		t.Fatalf("page 1 = %v, want %v", got, []string{sids[2], sids[1]})
	}
	if p2.Page != 1 || p2.Start != 2 || p2.End != 3 || p2.PreviousPageURI == nil {
		t.Fatalf("page 1 envelope = %+v", p2)
	}

	var back page
	getJSON(t, e, *p2.PreviousPageURI, http.StatusOK, &back)
	if got := back.sids(); len(got) != 2 || got[0] != sids[4] || got[1] != sids[3] {
		t.Fatalf("previous page = %v", got)
	}

	var p3 page
	getJSON(t, e, *p2.NextPageURI, http.StatusOK, &p3)
	if got := p3.sids(); len(got) != 1 || got[0] != sids[0] || p3.NextPageURI != nil {
		t.Fatalf("last page = %v, next %v", got, p3.NextPageURI)
	}

	var bad map[string]any
	getJSON(t, e, base+"?PageToken=PAnope", http.StatusBadRequest, &bad)
	if bad["code"] != float64(20001) {
		t.Errorf("bad token error = %v", bad)
	}
	getJSON(t, e, base+"?DateSent=yesterday", http.StatusBadRequest, &bad)
}
