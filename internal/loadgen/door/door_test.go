package door

import (
	"context"
	"io"
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"
)

// The product verifies webhooks with twilio-go's validator; the harness's requests must
// pass it as Twilio's would, and fail it when anything signed changes.
func TestWebhookSignature(t *testing.T) {
	tw := &Twilio{PublicURL: "http://127.0.0.1:8080", AccountSID: "AC1", AuthToken: "secret"}
	m := Inbound{Sid: NewSid(), From: "+14155552671", To: "+14155550000", Body: "hi & bye = ok"}
	req, err := tw.Request(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.String() != "http://127.0.0.1:8080/webhooks/twilio/messages" {
		t.Fatalf("url %s", req.URL)
	}
	raw, _ := io.ReadAll(req.Body)
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for k, v := range form {
		params[k] = v[0]
	}
	v := client.NewRequestValidator("secret")
	sig := req.Header.Get("X-Twilio-Signature")
	if !v.Validate(req.URL.String(), params, sig) {
		t.Fatal("twilio-go rejects the harness's signature")
	}
	params["Body"] = "tampered"
	if v.Validate(req.URL.String(), params, sig) {
		t.Fatal("signature does not cover the body")
	}
	if len(m.Sid) != 34 || m.Sid[:2] != "SM" {
		t.Fatalf("sid %q", m.Sid)
	}
}
