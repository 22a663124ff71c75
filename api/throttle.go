package api

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Password guessing is throttled per account and per client address (the state is in
// Postgres, shared by every api replica). An account gets 5 free failures, then waits
// 2 s, 4 s, 8 s, ... (at most 15 min) after each further one; an address, which a
// whole office may share behind NAT, gets 20. Failures are forgotten after an hour
// without any, and an account's at a successful sign-in.
var (
	accountThrottle = store.Throttle{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute, Forget: time.Hour}
	addressThrottle = store.Throttle{Free: 20, Base: 2 * time.Second, Max: 15 * time.Minute, Forget: time.Hour}
)

const codeTooManyRequests = "too_many_requests"

func accountKey(email string) string { return "account:" + strings.ToLower(strings.TrimSpace(email)) }
func addressKey(addr string) string  { return "addr:" + addr }

// clientAddr is the caller's IP address: the connection's peer, or behind a trusted
// proxy (TRUSTED_PROXY, as for webhook URLs) the last X-Forwarded-For entry, the one
// the proxy itself added.
func (s *Server) clientAddr(r *http.Request) string {
	if s.Webhooks.TrustedProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// throttled answers 429 with Retry-After if one of the keys is blocked; it says
// whether it did.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request, keys ...string) bool {
	wait, err := s.Store.Blocked(r.Context(), keys...)
	if err != nil {
		writeError(w, r, err)
		return true
	}
	if wait <= 0 {
		return false
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, r, &conversation.Error{Code: codeTooManyRequests,
		Message: "too many wrong passwords; try again in " + strconv.Itoa(secs) + " seconds"})
	return true
}

// failed counts a wrong password against the account and the address.
func (s *Server) failed(r *http.Request, email string) {
	for key, t := range map[string]store.Throttle{accountKey(email): accountThrottle, addressKey(s.clientAddr(r)): addressThrottle} {
		if err := s.Store.Failed(r.Context(), key, t); err != nil {
			loggerFrom(r).Error("sign-in failure not counted", "error", err)
		}
	}
}
