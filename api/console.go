package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/textdesk/textdesk/web"
)

// The console (issue 12) is served by this process at "/", same origin as /v1, so the
// browser needs no CORS and the session cookie just works. Assets have content hashes
// in their names and are cached forever; index.html is revalidated on every load so a
// deploy is picked up at once.

// consoleCSP allows no inline script or style: everything comes from our own assets.
const consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// apiPrefixes are the server's own namespaces: unknown paths under them keep their JSON
// 404 instead of falling back to the console's index.html.
var apiPrefixes = []string{"/v1", "/webhooks", "/healthz", "/readyz", "/metrics", "/openapi.yaml"}

func isAPIPath(p string) bool {
	for _, pre := range apiPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// console serves the built console from an fs.FS laid out as web/public.
type console struct {
	files fs.FS
	once  sync.Once
	index []byte // nil when the console is not built
	etag  string
}

func newConsole(files fs.FS) *console {
	if files == nil {
		files = web.Dist()
	}
	return &console{files: files}
}

func (c *console) load() {
	c.once.Do(func() {
		b, err := fs.ReadFile(c.files, "index.html")
		if err != nil {
			return
		}
		sum := sha256.Sum256(b)
		c.index, c.etag = b, `"`+hex.EncodeToString(sum[:8])+`"`
	})
}

// notFound answers every request no route matched: GETs outside the API's namespaces
// are the console's (assets or client-side routes); the rest keep the JSON 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || isAPIPath(r.URL.Path) {
		writeError(w, r, errNotFoundRoute)
		return
	}
	s.console.ServeHTTP(w, r)
}

func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")

	if p := path.Clean(r.URL.Path); strings.HasPrefix(p, "/assets/") {
		c.serveAsset(w, r, strings.TrimPrefix(p, "/"))
		return
	}
	c.load()
	if c.index == nil {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, notBuiltPage) // the client may have gone; nothing to do then
		return
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", c.etag)
	c.serveFile(w, r, "index.html", c.index)
}

// serveAsset serves a hashed asset; a missing one is a plain 404, never index.html (a
// stale page asking for an old chunk must fail visibly, not parse HTML as JavaScript).
func (c *console) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	if strings.HasSuffix(name, ".gz") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(c.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	c.serveFile(w, r, name, b)
}

// serveFile writes name's content, or its precompressed .gz copy when the client
// accepts gzip. http.ServeContent handles HEAD, ranges and If-None-Match.
func (c *console) serveFile(w http.ResponseWriter, r *http.Request, name string, plain []byte) {
	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Add("Vary", "Accept-Encoding")
	body := plain
	if acceptsGzip(r) {
		if gz, err := fs.ReadFile(c.files, name+".gz"); err == nil {
			h.Set("Content-Encoding", "gzip")
			body = gz
			if e := h.Get("ETag"); e != "" {
				h.Set("ETag", strings.TrimSuffix(e, `"`)+`-gz"`)
			}
		}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		// "gzip;q=0" means "not gzip".
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
				return false
			}
		}
		return true
	}
	return false
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>textdesk: console not built</title></head>
<body><h1>Console not built</h1>
<p>This binary was built without the web console. Run <code>make web</code> (or <code>make build</code>,
which does it first) and restart the api. The REST API under <code>/v1</code> works regardless.</p>
</body></html>
`
