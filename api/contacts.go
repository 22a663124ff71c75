package api

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/nyaruka/phonenumbers"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/phone"
	"github.com/textdesk/textdesk/store"
)

// Who sees a contact: an admin sees every contact; an agent the contacts who have a
// conversation in one of their teams (any other is 404). The conversations shown with a
// contact are always those of the caller's teams, the ones they can open.

const (
	maxContactQuery   = 100
	maxContactName    = 200
	maxContactRef     = 100
	recentWithContact = 10
)

// phoneLike: what a person types for a phone number or its start (two digits or more).
var phoneLike = regexp.MustCompile(`^\+?[0-9 ().\-]*[0-9][0-9 ().\-]*[0-9][0-9 ().\-]*$`)

// contactQuery reads ?q= into what to match: a phone-like query matches the number it
// is (E.164, or national in region) and the numbers starting with it (national digits
// read in region, or with a country code); any other query matches names containing
// it; every query matches a ref exactly.
func contactQuery(q, region string) store.ContactQuery {
	var cq store.ContactQuery
	if q == "" {
		return cq
	}
	cq.Text = q
	if !phoneLike.MatchString(q) {
		return cq
	}
	if e164, _, err := phone.Normalize(q, region); err == nil {
		cq.PhoneExact = e164
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, q)
	if strings.HasPrefix(q, "+") {
		cq.PhonePrefixes = []string{"+" + digits}
		return cq
	}
	// National digits (a trunk 0 dropped) after the region's country code, and the
	// digits as an international number typed without its "+".
	if cc := phonenumbers.GetCountryCodeForRegion(region); cc != 0 {
		if national := strings.TrimLeft(digits, "0"); national != "" {
			cq.PhonePrefixes = append(cq.PhonePrefixes, "+"+strconv.Itoa(cc)+national)
		}
	}
	if !strings.HasPrefix(digits, "0") {
		cq.PhonePrefixes = append(cq.PhonePrefixes, "+"+digits)
	}
	return cq
}

// listContacts: GET /v1/contacts?q=&cursor=&limit= — the contacts the caller sees, by
// phone number, matching q if given.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if n := utf8.RuneCountInString(q); n > maxContactQuery {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "q is %d characters; the limit is %d", n, maxContactQuery))
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	region, err := s.callerRegion(r.Context(), user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	cq := contactQuery(q, region)
	cq.All = user.Role == store.RoleAdmin
	cq.TeamIDs = user.TeamIDs
	cq.Cursor = r.URL.Query().Get("cursor")
	cq.Limit = limit
	page, err := s.Store.SearchContacts(r.Context(), cq)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// callerRegion is the region national numbers the caller types are read in: their
// first team's default region.
func (s *Server) callerRegion(ctx context.Context, user store.User) (string, error) {
	if len(user.TeamIDs) == 0 {
		return phone.DefaultRegion, nil
	}
	team, err := s.Store.Team(ctx, user.TeamIDs[0])
	if err != nil {
		return "", err
	}
	return team.DefaultRegion, nil
}

// visibleContact loads {id} if the caller may see it; otherwise 404.
func (s *Server) visibleContact(r *http.Request) (store.Contact, error) {
	user := userFrom(r)
	id := chi.URLParam(r, "id")
	if user.Role != store.RoleAdmin {
		ok, err := s.Store.ContactVisible(r.Context(), id, user.TeamIDs)
		if err != nil {
			return store.Contact{}, err
		}
		if !ok {
			return store.Contact{}, conversation.Errorf(conversation.ENotFound, "contact not found")
		}
	}
	return s.Store.ContactByID(r.Context(), id)
}

type contactDetail struct {
	store.Contact
	// RecentConversations: the newest conversations in the caller's teams.
	RecentConversations []store.Conversation `json:"recent_conversations"`
}

// getContact: GET /v1/contacts/{id} — the contact with its recent conversations.
func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleContact(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeContact(w, r, http.StatusOK, c)
}

func (s *Server) writeContact(w http.ResponseWriter, r *http.Request, status int, c store.Contact) {
	recent, err := s.Store.ContactConversations(r.Context(), c.ID, userFrom(r).TeamIDs, "", recentWithContact)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, contactDetail{Contact: c, RecentConversations: recent.Conversations})
}

// patchContact: PATCH /v1/contacts/{id} {"name"?, "ref"?, "opted_out"?, "blocked"?}.
// Anyone who sees the contact may rename it, set its ref, block or unblock it and
// record an opt-out (which cancels its pending scheduled messages, as STOP does); only
// an admin may opt a contact back in, since consent is the customer's to give (they
// text START).
func (s *Server) patchContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleContact(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Name     optional[string] `json:"name"`
		Ref      optional[string] `json:"ref"`
		OptedOut optional[bool]   `json:"opted_out"`
		Blocked  optional[bool]   `json:"blocked"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	p := store.ContactPatch{At: s.Now().UTC()}
	for _, f := range []struct {
		field string
		o     optional[string]
		limit int
		dst   **string
	}{{"name", req.Name, maxContactName, &p.Name}, {"ref", req.Ref, maxContactRef, &p.Ref}} {
		v, err := f.o.ptr(f.field)
		if err == nil && v != nil {
			if n := utf8.RuneCountInString(*v); n > f.limit {
				err = conversation.Errorf(conversation.EUnprocessable, "%s is %d characters; the limit is %d", f.field, n, f.limit)
			}
			*v = strings.TrimSpace(*v)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		*f.dst = v
	}
	if p.Blocked, err = req.Blocked.ptr("blocked"); err != nil {
		writeError(w, r, err)
		return
	}
	if p.OptedOut, err = req.OptedOut.ptr("opted_out"); err != nil {
		writeError(w, r, err)
		return
	}
	if p.Name == nil && p.Ref == nil && p.Blocked == nil && p.OptedOut == nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "nothing to change; send name, ref, opted_out or blocked"))
		return
	}
	if p.OptedOut != nil {
		switch {
		case *p.OptedOut:
			p.ConsentReason = "opted out by " + user.Name
		case c.OptedOut && user.Role != store.RoleAdmin:
			writeError(w, r, conversation.Errorf(conversation.EForbidden,
				"only an admin can opt a contact back in; the customer can text START"))
			return
		default:
			p.ConsentReason = "opted back in by " + user.Name
		}
	}
	c, err = s.Store.UpdateContact(r.Context(), c.ID, p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeContact(w, r, http.StatusOK, c)
}

// contactHistory: GET /v1/contacts/{id}/history?cursor=&limit= — the contact's
// conversations in the caller's teams, newest first.
func (s *Server) contactHistory(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleContact(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.Store.ContactConversations(r.Context(), c.ID, userFrom(r).TeamIDs, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
