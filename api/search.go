package api

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

const (
	// searchWindow: search finds conversations opened this recently.
	searchWindow = 90 * 24 * time.Hour
	// minNameSearch: shorter fragments match too much to be useful and cannot use the
	// name's trigram index.
	minNameSearch = 3
)

// search: GET /v1/search?phone=|ref=|name=&team=&cursor=&limit= — the conversations of
// the last 90 days with a customer found by number (or its first digits), ref or part
// of the name, newest first, among those the caller may see.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r)
	q := r.URL.Query()
	var given []string
	for _, k := range []string{"phone", "ref", "name"} {
		if strings.TrimSpace(q.Get(k)) != "" {
			given = append(given, k)
		}
	}
	if len(given) != 1 {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "search by exactly one of phone, ref or name"))
		return
	}
	value := strings.TrimSpace(q.Get(given[0]))
	if n := utf8.RuneCountInString(value); n > maxContactQuery {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "%s is %d characters; the limit is %d", given[0], n, maxContactQuery))
		return
	}
	teams, err := s.viewTeams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sq := store.SearchQuery{
		Viewer: store.Viewer{UserID: user.ID, TeamIDs: teams, Admin: user.Role == store.RoleAdmin},
		Since:  s.Now().Add(-searchWindow), Cursor: q.Get("cursor"), Limit: limit,
		MaxContacts: s.Limits.searchContacts(),
	}
	switch given[0] {
	case "phone":
		if !phoneLike.MatchString(value) {
			writeError(w, r, conversation.Errorf(conversation.EInvalid, "phone must be a phone number or its first digits (at least two)"))
			return
		}
		region, err := s.callerRegion(r.Context(), user)
		if err != nil {
			writeError(w, r, err)
			return
		}
		cq := contactQuery(value, region)
		sq.PhoneExact, sq.PhonePrefixes = cq.PhoneExact, cq.PhonePrefixes
	case "ref":
		sq.Ref = value
	case "name":
		if utf8.RuneCountInString(value) < minNameSearch {
			writeError(w, r, conversation.Errorf(conversation.EInvalid, "name must be at least %d characters", minNameSearch))
			return
		}
		sq.Name = value
	}
	page, err := s.Store.SearchConversations(r.Context(), sq)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
