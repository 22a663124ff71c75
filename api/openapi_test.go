package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/api"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// router builds the real router; Walk never calls handlers, so no dependency is needed.
func router() http.Handler {
	return (&api.Server{Log: slog.New(slog.DiscardHandler)}).Handler()
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi: %q; the e2e validator and nullable fields assume OpenAPI 3.0", doc.OpenAPI)
	}
}

// The document lists exactly the routes the chi router serves, with their methods.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	var served []string
	err := chi.Walk(router().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not in api/openapi.yaml", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("%s is in api/openapi.yaml but not served", r)
		}
	}
	if len(served) == 0 {
		t.Fatal("chi.Walk found no routes")
	}
}

// publicV1 are the /v1 operations that need no credential: signing in, and
// set-password links (their secret is the proof).
var publicV1 = []string{"POST /v1/sessions", "GET /v1/password-resets/{token}", "POST /v1/password-resets/{token}"}

// credentialedOutsideV1: the codec server, at the path Temporal Web and the CLI call.
var credentialedOutsideV1 = []string{"POST /codec/decode", "POST /codec/encode"}

// Endpoints under /v1 need the bearer token or the session cookie and say so (401),
// but for publicV1; the others are public, but for credentialedOutsideV1. Every operation documents the internal
// error, which any handler can answer.
func TestOpenAPISecurityAndErrors(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, scheme := range []string{"bearerAuth", "cookieAuth"} {
		if _, ok := doc.Components.SecuritySchemes[scheme]; !ok {
			t.Fatalf("no %s security scheme", scheme)
		}
	}
	if len(doc.Security) != 2 {
		t.Errorf("the document's security is %v; want bearerAuth or cookieAuth", doc.Security)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			authenticated := len(security) > 0
			want := strings.HasPrefix(path, "/v1/") && !slices.Contains(publicV1, name) || slices.Contains(credentialedOutsideV1, name)
			if authenticated != want {
				t.Errorf("%s: needs a credential = %v; want %v", name, authenticated, want)
			}
			if authenticated && op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s: no 401 response", name)
			}
			if op.Responses.Status(http.StatusInternalServerError) == nil {
				t.Errorf("%s: no 500 response", name)
			}
		}
	}
}

// GET /openapi.yaml serves this very file.
func TestOpenAPIServed(t *testing.T) {
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	router().ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.yaml", nil))
	res := rec.Result()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/yaml" || string(got) != string(want) {
		t.Errorf("GET /openapi.yaml: %d %q, %d bytes; want 200 application/yaml with api/openapi.yaml (%d bytes)",
			res.StatusCode, res.Header.Get("Content-Type"), len(got), len(want))
	}
}
