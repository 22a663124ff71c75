package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Sign-in: a browser holds the session cookie, scripts send an API token; both resolve
// here to the same store.User. Cookie-authenticated changes must also prove they come
// from the console's own pages (the CSRF token and the request's origin).

const (
	sessionCookie = "textdesk_session"
	csrfHeader    = "X-CSRF-Token"

	defaultSessionIdle     = 12 * time.Hour
	defaultSessionLifetime = 7 * 24 * time.Hour
)

// credential is how the caller signed in: a session or an API token (its id).
type credential struct {
	session *store.Session // nil for a bearer token
	tokenID string
}

func credentialFrom(r *http.Request) credential {
	c, _ := r.Context().Value(credentialKey).(credential)
	return c
}

func (s *Server) sessionIdle() time.Duration { return cmp.Or(s.SessionIdle, defaultSessionIdle) }
func (s *Server) sessionLifetime() time.Duration {
	return cmp.Or(s.SessionLifetime, defaultSessionLifetime)
}

func unauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="textdesk"`)
	writeError(w, r, conversation.Errorf(conversation.EUnauthorized, "%s", msg))
}

// authenticate resolves "Authorization: Bearer <token>" or the session cookie to a
// user. A bearer token wins when both are sent: scripts are unaffected by a cookie.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return s.authenticateWith(s.checkCSRF, next)
}

// authenticateWith is authenticate with csrf deciding whether a cookie-authenticated
// request may go on (the codec endpoint takes Temporal Web's requests, which carry no
// CSRF token).
func (s *Server) authenticateWith(csrf func(*http.Request, store.Session) error, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var user store.User
		var cred credential
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				unauthorized(w, r, "send an API token as 'Authorization: Bearer <token>', or sign in (POST /v1/sessions)")
				return
			}
			var err error
			user, cred.tokenID, err = s.Store.AuthByToken(r.Context(), strings.TrimSpace(token))
			if conversation.ErrorCode(err) == conversation.ENotFound {
				w.Header().Set("WWW-Authenticate", `Bearer realm="textdesk", error="invalid_token"`)
				writeError(w, r, conversation.Errorf(conversation.EUnauthorized, "the API token is unknown, revoked or expired, or its user is disabled"))
				return
			}
			if err != nil {
				writeError(w, r, err)
				return
			}
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			u, ses, err := s.Store.UserBySession(r.Context(), c.Value, s.sessionIdle())
			if conversation.ErrorCode(err) == conversation.ENotFound {
				s.clearCookie(w)
				unauthorized(w, r, "your session has ended (signed out, expired or revoked); sign in again")
				return
			}
			if err != nil {
				writeError(w, r, err)
				return
			}
			if err := csrf(r, ses); err != nil {
				writeError(w, r, err)
				return
			}
			if s.Now().Sub(ses.LastUsedAt) > time.Minute {
				// Best effort: a missed touch costs at most a minute of idle time.
				if err := s.Store.TouchSessions(r.Context(), []string{ses.ID}); err != nil {
					loggerFrom(r).Warn("session not touched", "error", err)
				}
			}
			user, cred.session = u, &ses
		} else {
			unauthorized(w, r, "send an API token as 'Authorization: Bearer <token>', or sign in (POST /v1/sessions) and send its cookie")
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), userKey, user), credentialKey, cred)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// safeMethod: methods that change nothing, which need no CSRF proof.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF refuses (403) a cookie-authenticated change that does not come from the
// console: its origin must be PUBLIC_URL's and it must carry the session's CSRF token.
func (s *Server) checkCSRF(r *http.Request, ses store.Session) error {
	if safeMethod(r.Method) {
		return nil
	}
	if err := s.checkOrigin(r); err != nil {
		return err
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ses.CSRFToken)) != 1 {
		return conversation.Errorf(conversation.EForbidden,
			"a request signed in with the session cookie that changes something must send the header %s with the csrf_token of POST /v1/sessions or GET /v1/me", csrfHeader)
	}
	return nil
}

// checkOrigin refuses (403) a browser request from another site: Origin, when sent,
// must be PUBLIC_URL's origin, and Sec-Fetch-Site, when sent, same-origin (or none: the
// user typed it). Clients that send neither (curl) are not browsers a site can drive.
func (s *Server) checkOrigin(r *http.Request) error {
	want := originOf(s.PublicURL)
	if o := r.Header.Get("Origin"); o != "" {
		// The request's own origin is as good as PUBLIC_URL's: a page can only send its
		// own origin, so an equal one is same-origin (a console opened at localhost
		// rather than 127.0.0.1 works; another site's page never matches).
		if !strings.EqualFold(o, want) && !strings.EqualFold(o, requestOrigin(r)) {
			return conversation.Errorf(conversation.EForbidden,
				"this request comes from %s, not from %s (PUBLIC_URL): the session cookie is only accepted from the console's own pages; open the console at %s, or use an API token", o, want, want)
		}
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
		return nil
	default:
		return conversation.Errorf(conversation.EForbidden,
			"this request comes from another site (Sec-Fetch-Site: %s): the session cookie is only accepted from the console's own pages at %s", site, want)
	}
}

// requestOrigin is the origin this request was sent to, as the browser saw it when
// no TLS-terminating proxy is in between (behind one, PUBLIC_URL's origin matches).
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// originOf is scheme://host[:port] of a URL, as browsers send it in Origin.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// setCookie hands the browser its session: HttpOnly (scripts cannot read it), Lax
// (not sent on cross-site subrequests), Secure behind https.
func (s *Server) setCookie(w http.ResponseWriter, secret string, expires time.Time) {
	//nolint:gosec // G124: HttpOnly and SameSite are set; Secure whenever PUBLIC_URL is https (plain http is a local stack)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.PublicURL, "https://")})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	//nolint:gosec // G124: as setCookie; this one deletes the cookie
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.PublicURL, "https://")})
}
