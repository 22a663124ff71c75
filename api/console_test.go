package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/textdesk/textdesk/api"
)

const testIndex = `<!doctype html><script type="module" src="/assets/main-ABC123.js"></script>`

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func consoleServer(t *testing.T, built bool) http.Handler {
	files := fstest.MapFS{".gitkeep": {}}
	if built {
		files["index.html"] = &fstest.MapFile{Data: []byte(testIndex)}
		files["index.html.gz"] = &fstest.MapFile{Data: gz(t, testIndex)}
		files["assets/main-ABC123.js"] = &fstest.MapFile{Data: []byte("console.log(1)")}
		files["assets/main-ABC123.js.gz"] = &fstest.MapFile{Data: gz(t, "console.log(1)")}
		files["assets/style-XYZ.css"] = &fstest.MapFile{Data: []byte("body{}")}
	}
	return (&api.Server{Log: slog.New(slog.DiscardHandler), Console: files}).Handler()
}

func get(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestConsoleIndexAndClientRoutes(t *testing.T) {
	h := consoleServer(t, true)
	for _, p := range []string{"/", "/set-password?token=abc", "/c/0b7c", "/inbox/mine", "/supervisor/teams/x"} {
		rec := get(h, "GET", p)
		if rec.Code != 200 || rec.Body.String() != testIndex {
			t.Fatalf("GET %s: %d %q, want index.html", p, rec.Code, rec.Body.String())
		}
		hd := rec.Header()
		for k, want := range map[string]string{
			"Cache-Control":           "no-cache",
			"Content-Type":            "text/html; charset=utf-8",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
		} {
			if got := hd.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		if strings.Contains(hd.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("CSP allows inline code")
		}
	}
	// Revalidation: the ETag answers 304.
	etag := get(h, "GET", "/").Header().Get("ETag")
	if rec := get(h, "GET", "/", "If-None-Match", etag); etag == "" || rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %q: %d, want 304", etag, rec.Code)
	}
	if rec := get(h, "HEAD", "/mine"); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestConsoleAssetsCachedAndGzipped(t *testing.T) {
	h := consoleServer(t, true)
	rec := get(h, "GET", "/assets/main-ABC123.js")
	if rec.Code != 200 || rec.Body.String() != "console.log(1)" || rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain asset: %d %q enc=%q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Encoding"))
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control %q", cc)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("asset Content-Type %q", ct)
	}
	rec = get(h, "GET", "/assets/main-ABC123.js", "Accept-Encoding", "br, gzip")
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip asset headers: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != "console.log(1)" {
		t.Errorf("gunzipped %q", b)
	}
	if rec := get(h, "GET", "/assets/main-ABC123.js", "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got gzip")
	}
	// An asset with no .gz copy is served plain even to gzip clients.
	if rec := get(h, "GET", "/assets/style-XYZ.css", "Accept-Encoding", "gzip"); rec.Code != 200 || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("css: %d enc=%q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	// A missing asset is a 404, never index.html; .gz copies are not addressable.
	for _, p := range []string{"/assets/main-OLD.js", "/assets/main-ABC123.js.gz"} {
		if rec := get(h, "GET", p); rec.Code != 404 || strings.Contains(rec.Body.String(), "<script") {
			t.Errorf("GET %s: %d %q, want 404", p, rec.Code, rec.Body.String())
		}
	}
}

func TestConsoleLeavesAPINotFoundJSON(t *testing.T) {
	h := consoleServer(t, true)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1/nope"}, {"GET", "/v1"}, {"GET", "/webhooks/nope"}, {"GET", "/healthz/x"},
		{"GET", "/metrics/x"}, {"GET", "/readyz/x"}, {"GET", "/openapi.yaml/x"},
		{"POST", "/"}, {"POST", "/somewhere"}, {"DELETE", "/c/1"},
	} {
		rec := get(h, tc.method, tc.path)
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		// Unauthenticated /v1 paths answer 401 before routing; either way it is JSON.
		if (rec.Code != 404 && rec.Code != 401) || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code == "" {
			t.Errorf("%s %s: %d %q, want a JSON error", tc.method, tc.path, rec.Code, rec.Body.String())
		}
	}
}

func TestConsoleNotBuilt(t *testing.T) {
	rec := get(consoleServer(t, false), "GET", "/")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make web") {
		t.Fatalf("unbuilt console: %d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("unbuilt page has no CSP")
	}
}
