package twilioemu

import (
	"bytes"
	"crypto/subtle"
	"net/http"
	"strings"
)

const maxFormBytes = 1 << 20

// serveREST authenticates and routes /2010-04-01/... requests. Every
// failure is a Twilio-shaped JSON error, because twilio-go decodes any
// non-2xx body as one and reports a decoding error otherwise.
func (e *Emulator) serveREST(w http.ResponseWriter, r *http.Request) {
	if err := e.authenticate(r); err != nil {
		writeError(w, err)
		return
	}
	fail, delay := e.faults.beforeREST(r)
	if fail != nil {
		writeError(w, fail)
		return
	}
	if delay > 0 {
		// A slow answer: the request takes effect now, the client hears about it later
		// (or never, if it gives up first).
		held := newHeldResponse()
		e.route(held, r)
		if sleep(r.Context(), delay) {
			held.flush(w)
		}
		return
	}
	e.route(w, r)
}

func (e *Emulator) route(w http.ResponseWriter, r *http.Request) {
	sub, ok := strings.CutPrefix(r.URL.Path, messagesPath(e.cfg.AccountSID))
	if !ok {
		writeError(w, notFound(r))
		return
	}
	if sub == ".json" {
		switch r.Method {
		case http.MethodPost:
			e.createMessage(w, r)
		case http.MethodGet:
			e.listMessages(w, r)
		default:
			writeError(w, methodNotAllowed(r))
		}
		return
	}
	sid, ok := messageSid(sub)
	switch {
	case !ok:
		writeError(w, notFound(r))
	case r.Method != http.MethodGet:
		writeError(w, methodNotAllowed(r))
	default:
		e.fetchMessage(w, r, sid)
	}
}

// messageSid extracts {Sid} from "/{Sid}.json"; subresources don't match.
func messageSid(sub string) (string, bool) {
	rest, ok := strings.CutPrefix(sub, "/")
	if !ok {
		return "", false
	}
	sid, ok := strings.CutSuffix(rest, ".json")
	return sid, ok && sid != "" && !strings.Contains(sid, "/")
}

const accountsPrefix = "/" + apiVersion + "/Accounts/"

// authenticate requires basic auth AccountSID:AuthToken and the same
// AccountSID in the path, as Twilio does for the main account.
func (e *Emulator) authenticate(r *http.Request) *apiError {
	user, pass, ok := r.BasicAuth()
	rest, underAccounts := strings.CutPrefix(r.URL.Path, accountsPrefix)
	pathSid, _, _ := strings.Cut(rest, "/")
	if ok && underAccounts && pathSid == e.cfg.AccountSID &&
		equal(user, e.cfg.AccountSID) && equal(pass, e.cfg.AuthToken) {
		return nil
	}
	return errorf(http.StatusUnauthorized, codeAuthenticate, "Authenticate")
}

// equal compares secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func notFound(r *http.Request) *apiError {
	return errorf(http.StatusNotFound, codeNotFound, "The requested resource %s was not found", r.URL.Path)
}

func methodNotAllowed(r *http.Request) *apiError {
	return errorf(http.StatusMethodNotAllowed, codeMethodNotAllowed, "Method %s not allowed on %s", r.Method, r.URL.Path)
}

func (e *Emulator) fetchMessage(w http.ResponseWriter, r *http.Request, sid string) {
	m, ok := e.store.get(sid)
	if !ok {
		writeError(w, notFound(r))
		return
	}
	writeJSON(w, http.StatusOK, newMessageResource(m))
}

// heldResponse buffers a response so it can be sent after a delay.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newHeldResponse() *heldResponse {
	return &heldResponse{header: http.Header{}, status: http.StatusOK}
}

func (h *heldResponse) Header() http.Header         { return h.header }
func (h *heldResponse) Write(b []byte) (int, error) { return h.body.Write(b) }
func (h *heldResponse) WriteHeader(status int)      { h.status = status }

func (h *heldResponse) flush(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
