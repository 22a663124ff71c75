package api

import (
	"cmp"
	"math"
	"net/http"
	"strconv"

	"time"

	"github.com/textdesk/textdesk/conversation"
)

// Limits bounds what one caller can make the API do (docs/security.md). Zero fields
// take the defaults below.
type Limits struct {
	// PerMinute: requests per minute per credential (token or session), on every
	// authenticated route.
	PerMinute int
	// ExpensivePerMinute: requests per minute per credential on the routes that search,
	// send or start workflows (search, handoffs, outbound, scheduling, chat switch).
	ExpensivePerMinute int
	// StreamsPerUser: concurrent event streams per user in this process.
	StreamsPerUser int
	// DailySendQuota: a team's messages per UTC day when it sets no quota of its own.
	DailySendQuota int
	// SearchContacts: customers a conversation search may match (more: 422, type more).
	SearchContacts int
}

const (
	defaultPerMinute          = 600
	defaultExpensivePerMinute = 60
	defaultStreamsPerUser     = 5
	defaultDailySendQuota     = 5000
	defaultSearchContacts     = 1000
	rateWindow                = time.Minute
	// maxRequestBody caps every request body, whatever the handler reads it with
	// (decodeJSON and the webhooks cap lower still).
	maxRequestBody = 1 << 20
)

func (l Limits) perMinute() int { return cmp.Or(l.PerMinute, defaultPerMinute) }
func (l Limits) expensivePerMinute() int {
	return cmp.Or(l.ExpensivePerMinute, defaultExpensivePerMinute)
}
func (l Limits) streamsPerUser() int { return cmp.Or(l.StreamsPerUser, defaultStreamsPerUser) }

// DailyQuota is the team's daily send quota: its own, else the configured default.
func (l Limits) DailyQuota(team *int) int {
	if team != nil {
		return *team
	}
	return cmp.Or(l.DailySendQuota, defaultDailySendQuota)
}

// capBodies limits every request body to maxRequestBody (a scheduling batch, which
// carries up to 1,000 messages, to maxBatchBody).
func capBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			limit := int64(maxRequestBody)
			if r.URL.Path == batchPath {
				limit = maxBatchBody
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimited counts the request against the caller's credential in class (a route
// class: "all" or "expensive") and answers 429 with Retry-After past limit. The
// counters are in Postgres (store.Hit), shared by every api replica. If Postgres cannot
// count, the request goes on: a limiter must not turn an outage into refusals.
func (s *Server) rateLimited(class string, limit func(Limits) int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := "rate:" + class + ":" + credentialKeyOf(r)
			n, reset, err := s.Store.Hit(r.Context(), key, rateWindow)
			if err != nil {
				loggerFrom(r).Warn("rate limit not counted", "error", err)
			} else if max := limit(s.Limits); n > max {
				secs := max1(int(math.Ceil(reset.Seconds())))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeError(w, r, &conversation.Error{Code: codeTooManyRequests, Message: "rate limit of " +
					strconv.Itoa(max) + " requests per minute" + classNote(class) + " reached; try again in " + strconv.Itoa(secs) + " seconds"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func classNote(class string) string {
	if class == "expensive" {
		return " on search, sending and scheduling"
	}
	return ""
}

func max1(n int) int { return max(n, 1) }

// credentialKeyOf names the caller's credential: the session or the token, so two
// browser sessions of one user are limited apart, like two tokens.
func credentialKeyOf(r *http.Request) string {
	c := credentialFrom(r)
	if c.session != nil {
		return "session:" + c.session.ID
	}
	return "token:" + c.tokenID
}
func (l Limits) searchContacts() int { return cmp.Or(l.SearchContacts, defaultSearchContacts) }
func (l Limits) dailySendQuota() int { return cmp.Or(l.DailySendQuota, defaultDailySendQuota) }
