package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/internal/payloadcrypt"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/workflows"
)

// codecBody is one unencrypted JSON payload ("hi") as Temporal Web posts payloads.
var codecBody = map[string]any{"payloads": []map[string]any{{
	"metadata": map[string]string{"encoding": b64("json/plain")},
	"data":     b64(`"hi"`),
}}}

// payloadData matches a payload's data in protobuf JSON.
var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]*)"`)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// The inbound text of a conversation is in Temporal's database only as ciphertext, and
// `temporal workflow show` shows it only through the api's codec endpoint, with an
// admin's token. Runs its own file-backed dev server, so there is a database file to read.
func TestPayloadsEncryptedInTemporal(t *testing.T) {
	cli, err := devstack.FindTemporalBinary("")
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	tp, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		DBFile: filepath.Join(dir, "temporal.db"), SearchAttributes: workflows.SearchAttributes(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tp.Stop(); err != nil {
			t.Errorf("stop temporal: %v", err)
		}
	})
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) {
		c.TemporalAddress, c.TemporalNamespace = tp.Address, tp.Namespace
	}})
	admin := s.newAdmin("codec-admin")

	canary := "codec canary " + randomHex(t, 8)
	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: canary}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the conversation listed", func() bool {
		var list store.ConversationPage
		s.call("GET", "/v1/conversations?limit=1&team="+s.team.ID, s.agentTok, nil, &list)
		if len(list.Conversations) == 1 {
			convID = list.Conversations[0].ID
		}
		return convID != ""
	})
	wfID := workflows.WorkflowID(convID)
	// show is `temporal workflow show -o json`, with every payload's data (base64 in
	// JSON) appended decoded, so that a test can look for text inside payloads.
	show := func(extra ...string) (string, error) {
		args := append([]string{"workflow", "show", "-w", wfID, "--address", tp.Address, "--namespace", tp.Namespace, "-o", "json"}, extra...)
		out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
		text := string(out)
		for _, m := range payloadData.FindAllStringSubmatch(string(out), -1) {
			if b, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
				text += "\n" + string(b)
			}
		}
		return text, err
	}
	// With the codec: the text is there (which also says the history holds it by now).
	var decoded string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last temporal workflow show through the codec: %v\n%.3000s", err, decoded)
		}
	})
	eventually(t, "the text in the history, read through the codec endpoint", func() bool {
		decoded, err = show("--codec-endpoint", s.apiURL+"/codec", "--codec-auth", "Bearer "+admin.token)
		return err == nil && strings.Contains(decoded, canary)
	})
	// Without it: the same history, the text nowhere, only ciphertext under the test key.
	plain, err := show()
	if err != nil {
		t.Fatalf("temporal workflow show: %v\n%s", err, plain)
	}
	if strings.Contains(plain, canary) {
		t.Errorf("temporal workflow show without the codec shows the inbound text:\n%.2000s", plain)
	}
	if !strings.Contains(plain, b64(payloadcrypt.Encoding)) || !strings.Contains(plain, b64("test-only")) {
		t.Errorf("temporal workflow show without the codec shows no payload encrypted under key test-only:\n%.2000s", plain)
	}
	// An agent's token does not decode (the CLI fails rather than show ciphertext as text).
	if out, err := show("--codec-endpoint", s.apiURL+"/codec", "--codec-auth", "Bearer "+s.agentTok); err == nil || strings.Contains(out, canary) {
		t.Errorf("an agent's token decoded the history (err %v):\n%.1000s", err, out)
	}

	// The database files (SQLite and its write-ahead log) hold the workflow, not the text.
	files, _ := filepath.Glob(filepath.Join(dir, "temporal.db*"))
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(wfID)) {
		t.Fatalf("Temporal's database files %v do not hold workflow %s: the test reads the wrong files", files, wfID)
	}
	if bytes.Contains(all, []byte(canary)) {
		t.Errorf("Temporal's database files %v hold the inbound text in plain", files)
	}
	if bytes.Contains(all, []byte(customer)) {
		t.Errorf("Temporal's database files %v hold the customer's phone number in plain", files)
	}
}

// The codec endpoint: admins only (token or Temporal Web's cookie), answers for
// Temporal Web's origin only, and clear 4xx for what it cannot decode.
func TestCodecEndpoint(t *testing.T) {
	const webOrigin = "http://127.0.0.1:8233"
	s := startStackWith(t, stackOptions{configure: func(c *config.Config) { c.TemporalWebOrigins = []string{webOrigin} }})
	admin := s.newAdmin("codec-admin")

	// Encode, then decode, as an admin: ciphertext under the test key, then "hi" again.
	var enc struct {
		Payloads []struct {
			Metadata map[string]string `json:"metadata"`
			Data     string            `json:"data"`
		} `json:"payloads"`
	}
	a := s.mustSend(apiRequest{method: "POST", path: "/codec/encode", token: admin.token, body: codecBody}, http.StatusOK)
	if err := a.decode(&enc); err != nil || len(enc.Payloads) != 1 ||
		enc.Payloads[0].Metadata["encoding"] != b64(payloadcrypt.Encoding) || enc.Payloads[0].Metadata[payloadcrypt.MetadataKeyID] != b64("test-only") {
		t.Fatalf("encode: %v %s", err, a.body)
	}
	a = s.mustSend(apiRequest{method: "POST", path: "/codec/decode", token: admin.token, body: enc}, http.StatusOK)
	if !strings.Contains(string(a.body), b64(`"hi"`)) || strings.Contains(string(a.body), b64(payloadcrypt.Encoding)) {
		t.Errorf("decode of the encoded payload: %s", a.body)
	}

	// Callers: anonymous 401, an agent 403 (the codec endpoint decrypts customers' texts).
	s.mustSend(apiRequest{method: "POST", path: "/codec/decode", body: enc}, http.StatusUnauthorized)
	s.mustSend(apiRequest{method: "POST", path: "/codec/decode", token: s.agentTok, body: enc}, http.StatusForbidden)

	// A payload under a key this api does not have: 400 naming the key id.
	enc.Payloads[0].Metadata[payloadcrypt.MetadataKeyID] = b64("retired-2019")
	a = s.mustSend(apiRequest{method: "POST", path: "/codec/decode", token: admin.token, body: enc}, http.StatusBadRequest)
	if !strings.Contains(string(a.body), `retired-2019`) {
		t.Errorf("decode under an unknown key: %s; want the key id named", a.body)
	}
	// Not Payloads: 400.
	s.mustSend(apiRequest{method: "POST", path: "/codec/decode", token: admin.token, body: rawJSON(`{"payloads": "x"}`)}, http.StatusBadRequest)
	// Over the size limit: 422. Sent past the validating client, whose check of a
	// megabyte of base64 takes seconds under -race.
	big, _ := http.NewRequest("POST", s.apiURL+"/codec/decode", strings.NewReader(`{"payloads":[{"data":"`+strings.Repeat("A", 1<<20)+`"}]}`))
	big.Header.Set("Authorization", "Bearer "+admin.token)
	if resp, err := http.DefaultClient.Do(big); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("decode of a body over 1 MiB: %v %v; want 422", resp, err)
	} else {
		resp.Body.Close()
	}

	// CORS: Temporal Web's preflight is allowed, with credentials and its headers.
	resp := s.raw(t, "OPTIONS", "/codec/decode", map[string]string{
		"Origin": webOrigin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
	}, nil)
	allowHeaders := strings.ToLower(resp.header.Get("Access-Control-Allow-Headers"))
	if resp.status != http.StatusNoContent || resp.header.Get("Access-Control-Allow-Origin") != webOrigin ||
		resp.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(resp.header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(allowHeaders, "authorization") || !strings.Contains(allowHeaders, "content-type") || !strings.Contains(allowHeaders, "x-namespace") {
		t.Errorf("preflight from Temporal Web: %d %v", resp.status, resp.header)
	}
	// Another origin: refused, and no CORS header that would let its page read anything.
	resp = s.raw(t, "OPTIONS", "/codec/decode", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, nil)
	if resp.status != http.StatusForbidden || resp.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", resp.status, resp.header)
	}

	// Temporal Web with "include credentials": the admin's session cookie, no CSRF token,
	// from Temporal Web's origin, decodes; the answer is readable by that origin.
	b, _ := s.sessionFor(admin.user, time.Hour)
	cookie := map[string]string{"Cookie": "textdesk_session=" + b.cookie, "Origin": webOrigin, "X-Namespace": "default"}
	resp = s.raw(t, "POST", "/codec/decode", cookie, codecBody)
	if resp.status != http.StatusOK || resp.header.Get("Access-Control-Allow-Origin") != webOrigin {
		t.Errorf("cookie from Temporal Web: %d %v", resp.status, resp.header)
	}
	// The same cookie sent by another site's page is refused.
	cookie["Origin"] = "http://evil.example"
	if resp = s.raw(t, "POST", "/codec/decode", cookie, codecBody); resp.status != http.StatusForbidden {
		t.Errorf("cookie from another origin: %d; want 403", resp.status)
	}
	// An agent's cookie from Temporal Web: 403, and Temporal Web can read why.
	ab, _ := s.sessionFor(s.agent, time.Hour)
	cookie = map[string]string{"Cookie": "textdesk_session=" + ab.cookie, "Origin": webOrigin}
	if resp = s.raw(t, "POST", "/codec/decode", cookie, codecBody); resp.status != http.StatusForbidden || resp.header.Get("Access-Control-Allow-Origin") != webOrigin {
		t.Errorf("agent's cookie from Temporal Web: %d %v; want 403 readable by Temporal Web", resp.status, resp.header)
	}
}

// decodedDetails is a marker's details decrypted (the SDK writes a local activity's
// type and result there through the payload codec), as text to search.
func (s *stack) decodedDetails(details map[string]*commonpb.Payloads) string {
	s.t.Helper()
	codec, err := app.PayloadCodec(s.cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	var text strings.Builder
	for _, ps := range details {
		decoded, err := codec.Decode(ps.GetPayloads())
		if err != nil {
			s.t.Fatal(err)
		}
		for _, p := range decoded {
			text.Write(p.GetData())
		}
	}
	return text.String()
}

// raw sends a request with exactly these headers (through the validating client).
func (s *stack) raw(t *testing.T, method, path string, header map[string]string, body any) apiAnswer {
	t.Helper()
	a, err := s.send(apiRequest{method: method, path: path, header: header, body: body})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
