package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/internal/testenv"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

const (
	accountSID = "ACe2e00000000000000000000000000000"
	authToken  = "e2eAuthToken0000000000000000000"
	// callerKey signs workflow updates' callers (TEXTDESK_CALLER_KEY).
	callerKey = "e2e-caller-key-0000000000000000000000"
)

// stack is one running textdesk (api + worker + emulator) for a test, on its own task
// queue and team so tests do not see each other's work.
type stack struct {
	t      *testing.T
	cfg    config.Config
	apiURL string
	// internalURL is the api's internal address (metrics, detailed readiness).
	internalURL string
	emu         *twilioemu.Emulator
	apiClient   *http.Client // validates requests and answers against api/openapi.yaml
	store       *store.Store
	team        store.Team
	agent       store.User
	agentTok    string
	outsider    string // token of a user in another team
	teamPhone   string
}

var phoneCounter = time.Now().UnixNano() % 1_000_000

// newPhone returns a fresh valid US mobile-looking number, unique within the run.
func newPhone() string {
	phoneCounter++
	return fmt.Sprintf("+1415%07d", 2_000_000+phoneCounter%7_000_000)
}

func startStack(t *testing.T, chatOn bool, autoResponse string) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{chatOn: chatOn, autoResponse: autoResponse})
}

type stackOptions struct {
	chatOn       bool
	autoResponse string
	// noWorker: the test runs the worker itself (as a process it can kill).
	noWorker bool
	// configure, if set, changes the configuration before the api and worker start.
	configure func(*config.Config)
}

func startStackWith(t *testing.T, o stackOptions) *stack {
	t.Helper()
	chatOn, autoResponse := o.chatOn, o.autoResponse
	ctx, cancel := context.WithCancel(context.Background())
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	internalPort, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	publicURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	apiClient := newAPIClient(t, publicURL)

	emu := twilioemu.New(twilioemu.Config{
		AccountSID:    accountSID,
		AuthToken:     authToken,
		WebhookURL:    publicURL + "/webhooks/twilio/messages",
		CallbackDelay: 10 * time.Millisecond,
		HTTPClient:    &http.Client{Timeout: 10 * time.Second, Transport: apiClient.Transport},
		Logger:        log,
	})
	emuServer := httptest.NewServer(emu)

	cfg := config.Config{
		DatabaseURL:       env.DatabaseURL,
		TemporalAddress:   env.TemporalAddress,
		TemporalNamespace: env.Namespace,
		TaskQueue:         env.TaskQueue(t),
		APIAddr:           fmt.Sprintf("127.0.0.1:%d", port),
		APIInternalAddr:   fmt.Sprintf("127.0.0.1:%d", internalPort),
		PublicURL:         publicURL,
		TwilioAccountSID:  accountSID,
		TwilioAuthToken:   authToken,
		CallerKey:         callerKey,
		// As in production, what the stack writes to Temporal is encrypted.
		PayloadKeys:   testenv.PayloadKeys,
		TwilioBaseURL: emuServer.URL,
		// As in production (config's default). Left zero, every worker start pruned
		// every event of the shared database, racing with the tests' own events.
		EventRetention: 30 * 24 * time.Hour,
		// The suite's tokens make hundreds of requests a minute (a scheduler queueing 500
		// messages, the authorization matrix); the limits' own tests set them low.
		RateLimit: 1_000_000, ExpensiveRateLimit: 1_000_000,
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	st, err := store.Open(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}

	s := &stack{t: t, cfg: cfg, apiURL: publicURL, internalURL: "http://" + cfg.APIInternalAddr, emu: emu, apiClient: apiClient, store: st, teamPhone: newPhone()}
	s.team, err = st.CreateTeam(ctx, "Team "+t.Name(), chatOn, autoResponse, []string{s.teamPhone})
	if err != nil {
		t.Fatal(err)
	}
	s.agent, s.agentTok = s.addUser(ctx, s.team.ID, "agent")
	other, err := st.CreateTeam(ctx, "Other "+t.Name(), true, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, s.outsider = s.addUser(ctx, other.ID, "outsider")

	apiDone, workerDone := make(chan error, 1), make(chan error, 1)
	ready := make(chan string, 1)
	go func() { apiDone <- app.RunAPI(ctx, cfg, log, ready) }()
	if o.noWorker {
		workerDone <- nil
	} else {
		go func() { workerDone <- app.RunWorker(ctx, cfg, log) }()
	}
	select {
	case <-ready:
	case err := <-apiDone:
		t.Fatalf("api did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("api did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		for _, done := range []chan error{apiDone, workerDone} {
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
		emuServer.Close()
		emu.Close()
		st.Close()
	})
	t.Cleanup(func() { s.recordHistories(t) }) // runs first, while the stack is still up

	return s
}

func (s *stack) addUser(ctx context.Context, teamID, name string) (store.User, string) {
	u, err := s.store.UpsertUser(ctx, name, fmt.Sprintf("%s-%d@e2e.invalid", name, time.Now().UnixNano()), store.RoleAgent)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.store.AddTeamMember(ctx, teamID, u.ID); err != nil {
		s.t.Fatal(err)
	}
	tok := store.NewToken()
	if err := s.store.AddToken(ctx, u.ID, tok, "e2e"); err != nil {
		s.t.Fatal(err)
	}
	return u, tok
}

// call makes an API request and decodes a JSON answer into out (if not nil).
func (s *stack) call(method, path, token string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.apiURL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.apiClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, what, 30*time.Second, cond)
}

// sentTo lists what the emulator received for phone, oldest first.
func (s *stack) sentTo(phone string) []twilioemu.Message {
	var out []twilioemu.Message
	for _, m := range s.emu.Messages() {
		if m.To == phone {
			out = append(out, m)
		}
	}
	return out
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if os.Getenv("E2E_VERBOSE") != "" {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func decodeBody(t *testing.T, resp *http.Response, out any) {
	t.Helper()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
}
