package api

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/textdesk/textdesk/twilioemu"
)

const (
	hookToken      = "primaryToken0000000000000000000"
	hookSecondary  = "secondaryToken00000000000000000"
	hookPath       = "/webhooks/twilio/messages"
	hookPublicBase = "http://127.0.0.1:8080"
)

// webhookServer runs requireTwilioSignature in front of a handler that records the
// parameters it was given.
type webhookServer struct {
	s    *Server
	h    http.Handler
	seen []url.Values
}

func newWebhookServer(publicURL string, o WebhookOptions) *webhookServer {
	ws := &webhookServer{s: &Server{PublicURL: publicURL, TwilioAuthToken: hookToken, Log: slog.New(slog.DiscardHandler)}}
	ws.s.Webhooks = o
	ws.h = ws.s.logRequests(ws.s.requireTwilioSignature(client.NewRequestValidator(hookToken))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws.seen = append(ws.seen, r.PostForm)
		_, _ = parseMedia(r.PostForm) // the next parser must cope with whatever verified
		w.WriteHeader(http.StatusOK)
	})))
	return ws
}

type hookRequest struct {
	target      string // path and query
	contentType string
	body        string
	signature   string
	headers     map[string]string
}

func (ws *webhookServer) do(hr hookRequest) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, hr.target, strings.NewReader(hr.body))
	if hr.contentType != "" {
		req.Header.Set("Content-Type", hr.contentType)
	}
	if hr.signature != "" {
		req.Header.Set("X-Twilio-Signature", hr.signature)
	}
	for k, v := range hr.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ws.h.ServeHTTP(rec, req)
	return rec
}

func inboundForm() url.Values {
	return url.Values{
		"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From": {"+14155550123"}, "To": {"+14155550100"}, "Body": {"Hi & bye = ✨ + %"}, "NumMedia": {"0"},
	}
}

const formType = "application/x-www-form-urlencoded"

func signedForm(token, fullURL string, form url.Values) hookRequest {
	u, _ := url.Parse(fullURL)
	return hookRequest{target: u.RequestURI(), contentType: formType, body: form.Encode(), signature: twilioemu.Sign(token, fullURL, form)}
}

// signedJSON is a JSON webhook as Twilio sends it: bodySHA256 in the URL, the signature
// over the URL alone.
func signedJSON(token, fullURL, body string) hookRequest {
	sum := sha256.Sum256([]byte(body))
	fullURL += sep(fullURL) + "bodySHA256=" + hex.EncodeToString(sum[:])
	u, _ := url.Parse(fullURL)
	return hookRequest{target: u.RequestURI(), contentType: "application/json", body: body, signature: twilioemu.Sign(token, fullURL, nil)}
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func TestWebhookSignatureForms(t *testing.T) {
	pub := hookPublicBase + hookPath
	jsonBody := `{"MessageSid":"SM1","From":"+14155550123","To":"+14155550100","Body":"hi","NumSegments":1,"Flag":true,"None":null,"Tags":["a","b"],"Nested":{"k":"v"}}`
	tampered := signedJSON(hookToken, pub, jsonBody)
	tampered.body = strings.Replace(tampered.body, `"hi"`, `"HI"`, 1)
	noHash := signedJSON(hookToken, pub, jsonBody)
	noHash.target = hookPath
	notObject := signedJSON(hookToken, pub, `["not", "an", "object"]`)
	big := signedForm(hookToken, pub, url.Values{"Body": {strings.Repeat("x", maxWebhookBody)}})
	withPort := signedForm(hookToken, "https://hooks.example.com:443"+hookPath, inboundForm())

	cases := []struct {
		name      string
		publicURL string
		opts      WebhookOptions
		req       hookRequest
		status    int
		refusal   string // metric reason, for refusals
	}{
		{"form, primary token", hookPublicBase, WebhookOptions{}, signedForm(hookToken, pub, inboundForm()), 200, ""},
		{"form, secondary token during rotation", hookPublicBase, WebhookOptions{SecondaryAuthToken: hookSecondary}, signedForm(hookSecondary, pub, inboundForm()), 200, ""},
		{"form, secondary token not configured", hookPublicBase, WebhookOptions{}, signedForm(hookSecondary, pub, inboundForm()), 403, refusedBadSignature},
		{"form, unknown token", hookPublicBase, WebhookOptions{SecondaryAuthToken: hookSecondary}, signedForm("someoneElse000", pub, inboundForm()), 403, refusedBadSignature},
		{"form, unsigned", hookPublicBase, WebhookOptions{}, hookRequest{target: hookPath, contentType: formType, body: inboundForm().Encode()}, 403, refusedNoSignature},
		{"form, signed for another URL", hookPublicBase, WebhookOptions{}, func() hookRequest {
			r := signedForm(hookToken, "http://evil.example"+hookPath, inboundForm())
			return r
		}(), 403, refusedBadSignature},
		{"form, tampered", hookPublicBase, WebhookOptions{}, func() hookRequest {
			r := signedForm(hookToken, pub, inboundForm())
			r.body = strings.Replace(r.body, "Body=Hi", "Body=Ho", 1)
			return r
		}(), 403, refusedBadSignature},
		{"form, query string signed", hookPublicBase, WebhookOptions{}, signedForm(hookToken, pub+"?tenant=a%20b&x=1", inboundForm()), 200, ""},
		{"form, messaging service pool number", hookPublicBase, WebhookOptions{}, func() hookRequest {
			f := inboundForm()
			f.Set("To", "+19995550100") // a pool number textdesk has never seen
			f.Set("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef")
			return signedForm(hookToken, pub, f)
		}(), 200, ""},
		{"form, repeated names (sorted, deduplicated)", hookPublicBase, WebhookOptions{}, signedForm(hookToken, pub, url.Values{"Tag": {"c", "b", "c"}, "Body": {"x"}}), 200, ""},
		{"form, repeated names (every value)", hookPublicBase, WebhookOptions{}, hookRequest{target: hookPath, contentType: formType,
			body: "Tag=c&Tag=b&Tag=c&Body=x", signature: hmacOf(hookToken, pub+"BodyxTagbTagcTagc")}, 200, ""},
		{"form, behind a proxy that strips a path prefix", "https://hooks.example.com/textdesk", WebhookOptions{}, func() hookRequest {
			r := signedForm(hookToken, "https://hooks.example.com/textdesk"+hookPath, inboundForm())
			r.target = hookPath
			return r
		}(), 200, ""},
		{"form, Twilio signed with the default port", "https://hooks.example.com", WebhookOptions{}, withPort, 200, ""},
		{"form, trusted proxy forwards scheme and host (the last values, which it appended)", hookPublicBase, WebhookOptions{TrustedProxy: true}, func() hookRequest {
			r := signedForm(hookToken, "https://td.example.com"+hookPath, inboundForm())
			r.headers = map[string]string{"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "forged.example, td.example.com"}
			return r
		}(), 200, ""},
		{"form, trusted proxy: a client's forged first value is not the URL", hookPublicBase, WebhookOptions{TrustedProxy: true}, func() hookRequest {
			// The attacker signs for their own host (with a token they know, or replays
			// a signature Twilio made for another URL) and puts it first; the proxy
			// appends the real host.
			r := signedForm(hookToken, "https://forged.example"+hookPath, inboundForm())
			r.headers = map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "forged.example, td.example.com"}
			return r
		}(), 403, refusedBadSignature},
		{"form, forwarded headers ignored without a trusted proxy", hookPublicBase, WebhookOptions{}, func() hookRequest {
			r := signedForm(hookToken, "https://td.example.com"+hookPath, inboundForm())
			r.headers = map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "td.example.com"}
			return r
		}(), 403, refusedBadSignature},
		{"form, malformed", hookPublicBase, WebhookOptions{}, hookRequest{target: hookPath, contentType: formType, body: "Body=%zz", signature: "x"}, 400, refusedUnreadable},
		{"form, larger than 64 KiB", hookPublicBase, WebhookOptions{}, big, 400, refusedUnreadable},
		{"form, too many parameters", hookPublicBase, WebhookOptions{}, hookRequest{target: hookPath, contentType: formType,
			body: strings.Repeat("a=1&", maxWebhookParams) + "b=2", signature: "x"}, 400, refusedUnreadable},
		{"json, primary token", hookPublicBase, WebhookOptions{}, signedJSON(hookToken, pub, jsonBody), 200, ""},
		{"json, secondary token", hookPublicBase, WebhookOptions{SecondaryAuthToken: hookSecondary}, signedJSON(hookSecondary, pub, jsonBody), 200, ""},
		{"json, body changed after signing", hookPublicBase, WebhookOptions{}, tampered, 403, refusedBodyHash},
		{"json, wrong token", hookPublicBase, WebhookOptions{}, signedJSON("someoneElse000", pub, jsonBody), 403, refusedBadSignature},
		{"json, without bodySHA256", hookPublicBase, WebhookOptions{}, noHash, 403, refusedNoBodyHash},
		{"json, signed but not an object", hookPublicBase, WebhookOptions{}, notObject, 400, refusedUnparseableJS},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := newWebhookServer(c.publicURL, c.opts)
			var before uint64
			if c.refusal != "" {
				before = webhooksRefused.get(c.refusal)
			}
			rec := ws.do(c.req)
			if rec.Code != c.status {
				t.Fatalf("status %d (%s); want %d", rec.Code, strings.TrimSpace(rec.Body.String()), c.status)
			}
			if c.refusal != "" {
				if got := webhooksRefused.get(c.refusal); got != before+1 {
					t.Errorf("refusals[%s] = %d; want %d", c.refusal, got, before+1)
				}
				if len(ws.seen) != 0 {
					t.Error("a refused webhook reached the handler")
				}
				return
			}
			if len(ws.seen) != 1 {
				t.Fatalf("handler saw %d requests", len(ws.seen))
			}
		})
	}
}

func TestWebhookJSONBecomesParameters(t *testing.T) {
	ws := newWebhookServer(hookPublicBase, WebhookOptions{})
	body := `{"MessageSid":"SM1","Body":"hi","NumSegments":1,"Flag":true,"None":null,"Tags":["a",2],"Nested":{"k":"v"}}`
	if rec := ws.do(signedJSON(hookToken, hookPublicBase+hookPath, body)); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	f := ws.seen[0]
	want := url.Values{"MessageSid": {"SM1"}, "Body": {"hi"}, "NumSegments": {"1"}, "Flag": {"true"}, "None": {""},
		"Tags": {"a", "2"}, "Nested": {`{"k":"v"}`}}
	for k, v := range want {
		if !slices.Equal(f[k], v) {
			t.Errorf("%s = %q; want %q", k, f[k], v)
		}
	}
}

func TestWebhookMetricsCountVerifiedTokens(t *testing.T) {
	ws := newWebhookServer(hookPublicBase, WebhookOptions{SecondaryAuthToken: hookSecondary})
	primary, secondary := webhooksVerified.get("primary"), webhooksVerified.get("secondary")
	ws.do(signedForm(hookToken, hookPublicBase+hookPath, inboundForm()))
	ws.do(signedForm(hookSecondary, hookPublicBase+hookPath, inboundForm()))
	if webhooksVerified.get("primary") != primary+1 || webhooksVerified.get("secondary") != secondary+1 {
		t.Errorf("verified counters did not move by one each")
	}
	rec := httptest.NewRecorder()
	(&Server{Log: slog.New(slog.DiscardHandler)}).metricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out, _ := io.ReadAll(rec.Body)
	for _, want := range []string{"# TYPE textdesk_webhooks_refused_total counter", `textdesk_webhooks_verified_total{token="secondary"}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
}

// The example in Twilio's webhook security documentation, through the product's
// validator as a form webhook.
func TestWebhookTwilioDocsExample(t *testing.T) {
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"}}
	signers := []signer{{"primary", client.NewRequestValidator("12345")}}
	got, token, refusal, err := verifyWebhook(http.Header{"X-Twilio-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="}}, nil,
		[]byte(form.Encode()), []string{"https://mycompany.com/myapp.php?foo=1&bar=2"}, signers)
	if refusal != "" || err != nil || token != "primary" || got.Get("Digits") != "1234" {
		t.Fatalf("published example refused: %q %v", refusal, err)
	}
	_, _, refusal, _ = verifyWebhook(http.Header{"X-Twilio-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="}}, nil,
		[]byte(form.Encode()+"&Extra=1"), []string{"https://mycompany.com/myapp.php?foo=1&bar=2"}, signers)
	if refusal != refusedBadSignature {
		t.Errorf("extra parameter: refusal %q", refusal)
	}
}

func TestParseMedia(t *testing.T) {
	f := url.Values{"NumMedia": {"2"}, "MediaUrl0": {"https://api.twilio.com/m/ME1"}, "MediaContentType0": {"image/jpeg"},
		"MediaUrl1": {"https://api.twilio.com/m/ME2"}, "MediaContentType1": {"application/pdf"}}
	media, err := parseMedia(f)
	if err != nil || len(media) != 2 || media[1].URL != "https://api.twilio.com/m/ME2" || media[0].ContentType != "image/jpeg" {
		t.Errorf("parseMedia = %+v, %v", media, err)
	}
	for _, bad := range []url.Values{{"NumMedia": {"x"}}, {"NumMedia": {"11"}}, {"NumMedia": {"-1"}}, {"NumMedia": {"1"}}} {
		if _, err := parseMedia(bad); err == nil {
			t.Errorf("parseMedia(%v) accepted", bad)
		}
	}
	if media, err := parseMedia(url.Values{}); err != nil || len(media) != 0 {
		t.Errorf("no media: %v %v", media, err)
	}
}

func TestErrorReasonAndNumbers(t *testing.T) {
	for code, want := range map[int]string{0: "", 30003: "unreachable", 30999: "Twilio error 30999"} {
		if got := errorReason(code, ""); !strings.Contains(got, want) || (want == "" && got != "") {
			t.Errorf("errorReason(%d) = %q; want it to mention %q", code, got, want)
		}
	}
	if got := errorReason(30008, "Unknown error"); got != "Unknown error (Twilio error 30008)" {
		t.Errorf("errorReason with Twilio's message = %q", got)
	}
	for raw, want := range map[string]string{"+15005550006": "+15005550006", "+15551234567": "+15551234567", "(415) 555-0123": "+14155550123"} {
		if got, err := ourNumber(raw); got != want || err != nil {
			t.Errorf("ourNumber(%q) = %q, %v", raw, got, err)
		}
	}
	if _, err := ourNumber("hello"); err == nil {
		t.Error("ourNumber accepted a word")
	}
}

// FuzzWebhookVerify drives arbitrary bodies through the signature check and the form,
// JSON and media parsers: a correctly signed request is accepted exactly when its body
// parses, a wrong signature is always refused, and nothing panics.
// Seeds: testdata/fuzz/FuzzWebhookVerify.
func FuzzWebhookVerify(f *testing.F) {
	f.Add(inboundForm().Encode(), false, false)
	f.Add("NumMedia=2&MediaUrl0=https%3A%2F%2Fx&MediaUrl1=", false, false)
	f.Add(`{"MessageSid":"SM1","Body":"hi","NumMedia":"1","MediaUrl0":"https://x"}`, true, false)
	f.Add("Body=%zz", false, true)
	f.Fuzz(func(t *testing.T, body string, asJSON, wrongSignature bool) {
		ws := newWebhookServer(hookPublicBase, WebhookOptions{SecondaryAuthToken: hookSecondary})
		pub := hookPublicBase + hookPath
		var req hookRequest
		form, formErr := url.ParseQuery(body)
		if asJSON {
			req = signedJSON(hookSecondary, pub, body)
		} else {
			req = hookRequest{target: hookPath, contentType: formType, body: body}
			if formErr == nil {
				req.signature = twilioemu.Sign(hookToken, pub, form)
			} else {
				req.signature = "x"
			}
		}
		if wrongSignature {
			req.signature = twilioemu.Sign("wrongToken", pub, form)
		}
		rec := ws.do(req)
		switch {
		case len(body) > maxWebhookBody || (!asJSON && (formErr != nil || strings.Count(body, "&") >= maxWebhookParams)):
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("unreadable body: status %d", rec.Code)
			}
		case wrongSignature:
			if rec.Code != http.StatusForbidden {
				t.Fatalf("wrong signature: status %d", rec.Code)
			}
		case asJSON:
			_, err := jsonForm([]byte(body))
			if want := map[bool]int{true: 200, false: 400}[err == nil]; rec.Code != want {
				t.Fatalf("signed JSON (parse error %v): status %d; want %d", err, rec.Code, want)
			}
		default:
			if rec.Code != http.StatusOK {
				t.Fatalf("signed form: status %d: %s", rec.Code, rec.Body.String())
			}
			if got := ws.seen[0]; len(got) != len(form) {
				t.Fatalf("handler got %v; want %v", got, form)
			}
		}
	})
}

// hmacOf signs an already concatenated URL+parameters string.
func hmacOf(token, data string) string {
	return twilioemu.Sign(token, data, nil)
}
