package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// openAPISpec is api/openapi.yaml, loaded once per test binary.
type openAPISpec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadOpenAPISpec = sync.OnceValues(func() (*openAPISpec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../api/openapi.yaml")
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	// The servers name the dev address; tests listen on free ports.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	// The inbound webhook answers TwiML.
	openapi3filter.RegisterBodyDecoder("text/xml", openapi3filter.PlainBodyDecoder)
	// The event stream's body is checked as empty (see openAPIValidator.RoundTrip).
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	// Conversation exports: CSV and NDJSON, documented as strings.
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	return &openAPISpec{doc: doc, router: router}, nil
})

// newAPIClient returns a client whose every request to apiURL (and the answer) is
// validated against api/openapi.yaml; a mismatch fails t. Requests elsewhere (the
// emulator's REST API) pass through unchecked.
func newAPIClient(t *testing.T, apiURL string) *http.Client {
	t.Helper()
	spec, err := loadOpenAPISpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	base, err := url.Parse(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &openAPIValidator{t: t, spec: spec, base: base, next: http.DefaultTransport}}
}

// openAPIValidator is an http.RoundTripper that checks requests to the API and the
// API's answers against the OpenAPI document:
//   - a request the document accepts gets an answer the document lists (status, headers, body);
//   - a request the document refuses must be refused by the server too (4xx), with a
//     documented error answer;
//   - a request for a path or method the document does not have must get 404 (405 for a
//     known path; 401 first under /v1) with the error body.
type openAPIValidator struct {
	t    *testing.T
	spec *openAPISpec
	base *url.URL
	next http.RoundTripper
}

func (v *openAPIValidator) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != v.base.Scheme || req.URL.Host != v.base.Host || !strings.HasPrefix(req.URL.Path, v.base.Path) {
		return v.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
	}
	out := req.Clone(req.Context())
	if reqBody != nil {
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := v.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// A stream does not end: check the status and headers, and leave the body to the
		// test to read as it arrives.
		if err := v.check(req, reqBody, resp, nil); err != nil {
			v.t.Errorf("openapi: %s %s → %d: %v", req.Method, req.URL.RequestURI(), resp.StatusCode, err)
		}
		return resp, nil
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := v.check(req, reqBody, resp, respBody); err != nil {
		v.t.Errorf("openapi: %s %s → %d: %v", req.Method, req.URL.RequestURI(), resp.StatusCode, err)
	}
	return resp, nil
}

func (v *openAPIValidator) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }

	route, pathParams, err := v.spec.router.FindRoute(vreq)
	if err != nil {
		want := http.StatusNotFound
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			want = http.StatusMethodNotAllowed
		}
		unauthenticated := resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(req.URL.Path, "/v1/")
		if resp.StatusCode != want && !unauthenticated {
			return fmt.Errorf("%v (not in api/openapi.yaml), yet the server answered %d; want %d", err, resp.StatusCode, want)
		}
		return v.checkErrorBody(resp, respBody)
	}

	opts := &openapi3filter.Options{
		AuthenticationFunc:    bearerToken,
		IncludeResponseStatus: true, // a status the operation does not list is a mismatch
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		},
	}
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
	})
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: pathParams, Route: route, Options: opts}
	var problems []string
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
		problems = append(problems, fmt.Sprintf("the request does not match the document, yet the server answered %d: %v", resp.StatusCode, err))
	}
	answer := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	answer.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, answer); err != nil {
		problems = append(problems, fmt.Sprintf("the answer does not match the document: %v (body %.300q)", err, respBody))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// checkErrorBody checks an answer for a route the document does not have is the
// documented error body.
func (v *openAPIValidator) checkErrorBody(resp *http.Response, body []byte) error {
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("error answer has Content-Type %q; want application/json", ct)
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("error answer is not JSON: %v (body %.300q)", err, body)
	}
	if err := v.spec.doc.Components.Schemas["Error"].Value.VisitJSON(value); err != nil {
		return fmt.Errorf("error answer does not match the Error schema: %v", err)
	}
	return nil
}

// bearerToken checks the request carries the credential of the scheme: "Authorization:
// Bearer <token>" (bearerAuth) or the session cookie (cookieAuth); the server decides
// whether it is valid.
func bearerToken(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	if in.SecuritySchemeName == "cookieAuth" {
		if c, err := req.Cookie("textdesk_session"); err != nil || c.Value == "" {
			return in.NewError(errors.New("no session cookie"))
		}
		return nil
	}
	scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return in.NewError(errors.New("no bearer token"))
	}
	return nil
}

// The endpoints the other tests do not reach, through the validating client: notes,
// self-assignment, scheduling and cancelling, archive, unarchive, delete, the document
// itself and a method the API does not serve.
func TestOpenAPIRemainingEndpoints(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	admin, err := s.store.UpsertUser(ctx, "admin", fmt.Sprintf("admin-%d@e2e.invalid", time.Now().UnixNano()), store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.AddTeamMember(ctx, s.team.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	adminTok := store.NewToken()
	if err := s.store.AddToken(ctx, admin.ID, adminTok, "e2e"); err != nil {
		t.Fatal(err)
	}

	if code := s.call("GET", "/openapi.yaml", "", nil, nil); code != http.StatusOK {
		t.Errorf("GET /openapi.yaml: %d", code)
	}
	if code := s.call("PATCH", "/v1/me", s.agentTok, nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("PATCH /v1/me: %d; want 405", code)
	}

	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hello"}); err != nil || code != http.StatusOK {
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
	conv := "/v1/conversations/" + convID

	var note store.Message
	if code := s.call("POST", conv+"/notes", s.agentTok, map[string]string{"body": "VIP customer"}, &note); code != http.StatusCreated ||
		note.Direction != "internal" || note.Kind != "note" {
		t.Fatalf("note: %d %+v", code, note)
	}
	var c store.Conversation
	if code := s.call("POST", conv+"/assign", s.agentTok, map[string][]string{"user_ids": {s.agent.ID}}, &c); code != http.StatusOK ||
		len(c.Assignees) != 1 || c.Assignees[0] != s.agent.ID {
		t.Fatalf("self-assign: %d %+v", code, c)
	}

	var sm store.ScheduledMessage
	if code := s.call("POST", "/v1/scheduled-messages", s.agentTok, map[string]any{
		"team_id": s.team.ID, "to": customer, "body": "See you tomorrow", "send_at": time.Now().Add(time.Hour).UTC(),
	}, &sm); code != http.StatusCreated || sm.ConversationID == nil || *sm.ConversationID != convID {
		t.Fatalf("schedule: %d %+v", code, sm)
	}
	s.mustAct(agent{s.agent, s.agentTok}, "DELETE", "/v1/scheduled-messages/"+sm.ID, nil, http.StatusNoContent)
	s.mustAct(agent{s.agent, s.agentTok}, "DELETE", "/v1/scheduled-messages/"+sm.ID, nil, http.StatusConflict)

	if code := s.call("POST", conv+"/archive", s.agentTok, nil, &c); code != http.StatusOK || c.Status != "closed" ||
		c.CloseReason == nil || *c.CloseReason != "archived" {
		t.Fatalf("archive: %d %+v", code, c)
	}
	if code := s.call("POST", conv+"/unarchive", s.agentTok, nil, &c); code != http.StatusOK || c.Status != "active" ||
		len(c.Assignees) != 1 || c.Assignees[0] != s.agent.ID {
		t.Fatalf("unarchive: %d %+v", code, c)
	}

	s.mustAct(agent{s.agent, s.agentTok}, "DELETE", conv, nil, http.StatusForbidden)
	s.mustAct(agent{admin, adminTok}, "DELETE", conv, nil, http.StatusNoContent)
	if code := s.call("GET", conv, s.agentTok, nil, nil); code != http.StatusNotFound {
		t.Errorf("GET a deleted conversation: %d; want 404", code)
	}
}
