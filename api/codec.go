package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// The codec endpoint (POST /codec/decode, /codec/encode): the remote codec protocol of
// Temporal Web and the temporal CLI (--codec-endpoint <api>/codec). Payloads in
// Temporal are encrypted (internal/payloadcrypt); through here an admin reads them in
// plain text. The work is the SDK's codec HTTP handler; around it: admins only, CORS
// for Temporal Web's origin, bounded bodies and the API's error format.
//
// A cookie-authenticated call needs no CSRF token (Temporal Web sends none): decoding
// and encoding change nothing, and another site's page cannot read the answer (CORS
// admits only TEMPORAL_WEB_ORIGIN), nor send the cookie at all (SameSite=Lax).

// codecRoutes mounts the endpoint under /codec.
func (s *Server) codecRoutes(r chi.Router) {
	var codecs []converter.PayloadCodec
	if s.PayloadCodec != nil {
		codecs = append(codecs, s.PayloadCodec)
	}
	sdk := converter.NewPayloadCodecHTTPHandler(codecs...)
	r.Use(s.codecCORS)
	for _, op := range []string{"/decode", "/encode"} {
		r.Options(op, s.codecPreflight)
		r.Method(http.MethodPost, op, s.authenticateWith(s.checkCodecOrigin, s.codec(sdk)))
	}
}

// temporalWebOrigin reports whether origin is one of TEMPORAL_WEB_ORIGIN.
func (s *Server) temporalWebOrigin(origin string) bool {
	return slices.ContainsFunc(s.TemporalWebOrigins, func(o string) bool { return strings.EqualFold(o, origin) })
}

// codecCORS lets Temporal Web's pages read the answers (errors too, so it can show them).
func (s *Server) codecCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" && s.temporalWebOrigin(o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

// codecPreflight answers the browser's CORS preflight: Temporal Web sends JSON with
// X-Namespace, and Authorization when it passes an access token.
func (s *Server) codecPreflight(w http.ResponseWriter, r *http.Request) {
	// The console's own origin needs no preflight, but is no stranger either.
	if o := r.Header.Get("Origin"); o != "" && !s.temporalWebOrigin(o) && s.checkOrigin(r) != nil {
		writeError(w, r, conversation.Errorf(conversation.EForbidden,
			"pages from %s may not call the codec endpoint: add that origin to TEMPORAL_WEB_ORIGIN if it is your Temporal Web", o))
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Authorization-Extras, Content-Type, X-Namespace")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// checkCodecOrigin admits a cookie from Temporal Web's pages or the console's own.
func (s *Server) checkCodecOrigin(r *http.Request, _ store.Session) error {
	if o := r.Header.Get("Origin"); o != "" && s.temporalWebOrigin(o) {
		return nil
	}
	return s.checkOrigin(r)
}

// codec checks the caller and the body, then has sdk encode or decode.
func (s *Server) codec(sdk http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if userFrom(r).Role != store.RoleAdmin {
			writeError(w, r, conversation.Errorf(conversation.EForbidden,
				"only admins may decode or encode Temporal payloads: they hold customers' messages"))
			return
		}
		body, err := readPayloads(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		in := r.Clone(r.Context())
		in.Body, in.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		out := &capturedResponse{header: http.Header{}}
		sdk.ServeHTTP(out, in)
		if out.status != http.StatusOK {
			// The body was valid: what failed is a payload (an unknown key id, a tampered one).
			writeError(w, r, conversation.Errorf(conversation.EInvalid, "%s", strings.TrimSpace(out.body.String())))
			return
		}
		// Who read customers' data in plain text: a trail in the log (not the audit
		// table: Temporal Web makes a call per payload it shows).
		loggerFrom(r).Info("codec", "op", strings.TrimPrefix(r.URL.Path, "/codec/"), "user_id", userFrom(r).ID,
			"namespace", r.Header.Get("X-Namespace"), "bytes", len(body))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store") // decrypted customers' messages
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out.body.Bytes())
	})
}

// readPayloads reads a body the SDK handler will accept (protobuf JSON of
// temporal.api.common.v1.Payloads), or says what is wrong with it.
func readPayloads(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, conversation.Errorf(conversation.EInvalid, "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(r.Body) // capped by capBodies
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, conversation.Errorf(conversation.EUnprocessable, "request body is larger than %d bytes; send fewer payloads at a time", tooBig.Limit)
	case err != nil:
		return nil, conversation.Errorf(conversation.EInvalid, "reading the request body: %v", err)
	case len(bytes.TrimSpace(body)) == 0:
		return nil, conversation.Errorf(conversation.EInvalid, `request body is empty; send JSON {"payloads": [...]}`)
	}
	if err := protojson.Unmarshal(body, &commonpb.Payloads{}); err != nil {
		return nil, conversation.Errorf(conversation.EInvalid,
			`request body is not JSON {"payloads": [{"metadata": {...}, "data": "<base64>"}]} (Temporal's Payloads in protobuf JSON): %v`, err)
	}
	return body, nil
}

// capturedResponse holds the SDK handler's answer, so that its errors (plain text) are
// answered in the API's JSON error format instead.
type capturedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capturedResponse) Header() http.Header { return c.header }
func (c *capturedResponse) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
func (c *capturedResponse) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
