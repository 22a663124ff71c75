// Package door holds the harness's clients for textdesk's public doors: Twilio's
// signed inbound webhook (the harness plays Twilio), the REST API with bearer tokens,
// and the Twilio emulator's record of what it was asked to send.
package door

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/textdesk/textdesk/twilioemu"
)

// NewHTTPClient is a client sized for many concurrent requests to one host.
func NewHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 512
	return &http.Client{Timeout: timeout, Transport: tr}
}

// NewSid returns a fresh Twilio-style message SID.
func NewSid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}

// Inbound is one SMS a customer sends to a team's number.
type Inbound struct{ Sid, From, To, Body string }

// Form is the form Twilio posts to the messaging webhook for m.
func (m Inbound) Form(accountSID string) url.Values {
	return url.Values{
		"MessageSid": {m.Sid}, "SmsSid": {m.Sid}, "SmsMessageSid": {m.Sid},
		"AccountSid": {accountSID}, "From": {m.From}, "To": {m.To}, "Body": {m.Body},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"},
	}
}

// Twilio posts inbound webhooks to the API, signed as Twilio signs them.
type Twilio struct {
	PublicURL  string // the API's PUBLIC_URL
	AccountSID string
	AuthToken  string
	HTTP       *http.Client
}

// WebhookPath is the product's inbound messaging webhook.
const WebhookPath = "/webhooks/twilio/messages"

// Request builds the signed webhook request for m.
func (t *Twilio) Request(ctx context.Context, m Inbound) (*http.Request, error) {
	target := t.PublicURL + WebhookPath
	form := m.Form(t.AccountSID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("X-Twilio-Signature", twilioemu.Sign(t.AuthToken, target, form))
	return req, nil
}

// Post delivers m once and returns the HTTP status and how long the API took to answer.
func (t *Twilio) Post(ctx context.Context, m Inbound) (status int, took time.Duration, err error) {
	req, err := t.Request(ctx, m)
	if err != nil {
		return 0, 0, err
	}
	begin := time.Now()
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return 0, time.Since(begin), err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(begin), nil
}

// API calls textdesk's REST API.
type API struct {
	URL  string
	HTTP *http.Client
}

// Call makes a JSON request; key, if set, is the Idempotency-Key. out may be nil.
func (a *API) Call(ctx context.Context, method, path, token, key string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %q: %w", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	return resp.StatusCode, nil
}

// Reply posts an agent's reply to a conversation.
func (a *API) Reply(ctx context.Context, token, conversationID, body, key string) (int, error) {
	return a.Call(ctx, http.MethodPost, "/v1/conversations/"+conversationID+"/messages", token, key, map[string]string{"body": body}, nil)
}

// Schedule queues a message for a contact of a team.
func (a *API) Schedule(ctx context.Context, token, teamID, to, body string, sendAt time.Time, key string) (int, error) {
	return a.Call(ctx, http.MethodPost, "/v1/scheduled-messages", token, key, map[string]any{
		"team_id": teamID, "to": to, "body": body, "send_at": sendAt.UTC().Format(time.RFC3339Nano),
	}, nil)
}

// Emulator reads the Twilio emulator's record and sets its faults.
type Emulator struct {
	URL  string
	HTTP *http.Client
}

// Messages lists every outbound message the emulator accepted, oldest first.
func (e *Emulator) Messages(ctx context.Context) ([]twilioemu.Message, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/emulator/messages", nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Messages []twilioemu.Message `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("emulator messages: %w", err)
	}
	return out.Messages, nil
}

// SetFaults replaces the emulator's injected faults (the zero Faults clears them).
func (e *Emulator) SetFaults(ctx context.Context, f twilioemu.Faults) error {
	b, _ := json.Marshal(f)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/emulator/faults", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("emulator faults: %d %s", resp.StatusCode, raw)
	}
	return nil
}
