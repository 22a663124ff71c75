package api

import (
	"context"
	"net/http"
	"regexp"
	"slices"
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
// conversation in one of their teams that the agent may see (restricted ones count
// only for the users they list), or a chat handoff or log entry in one of their teams
// (any other is 404). What is shown with a contact is always of the caller's teams,
// and only the conversations the caller can open.

const (
	maxContactQuery   = 100
	maxContactName    = 200
	maxContactRef     = 100
	recentWithContact = 10
	maxVisibleTo      = 100
	maxAssignees      = 100 // default_assignees, as default_visible_to
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
	cq.UserID = user.ID
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
		ok, err := s.Store.ContactVisible(r.Context(), id, user.TeamIDs, user.ID)
		if err != nil {
			return store.Contact{}, err
		}
		if !ok {
			return store.Contact{}, conversation.Errorf(conversation.ENotFound, "contact not found")
		}
	}
	return s.contactFor(r, id)
}

// contactFor loads a contact with what the caller's teams decided about it (an
// admin: every team).
func (s *Server) contactFor(r *http.Request, id string) (store.Contact, error) {
	user := userFrom(r)
	return s.Store.ContactFor(r.Context(), id, user.TeamIDs, user.Role == store.RoleAdmin)
}

func viewerOf(u store.User) store.Viewer {
	return store.Viewer{UserID: u.ID, TeamIDs: u.TeamIDs, Admin: u.Role == store.RoleAdmin}
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
	recent, err := s.Store.ContactConversations(r.Context(), c.ID, viewerOf(userFrom(r)), "", recentWithContact)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, contactDetail{Contact: c, RecentConversations: recent.Conversations})
}

// patchContact: PATCH /v1/contacts/{id} {"name"?, "ref"?, "team_id"?, "opted_out"?,
// "blocked"?, "default_visible_to"?, "default_assignees"?}. A contact is shared by
// teams, so a caller changes only what concerns their teams (issue 13):
//   - name and ref are the organisation's: an admin, or a member of every team the
//     contact has talked to, may change them;
//   - the rest is team_id's (omitted: the caller's only team; an admin's: every team):
//     blocking, recording an opt-out (which cancels the team's pending scheduled
//     messages, as STOP does; only an admin may opt a contact back in, since consent
//     is the customer's to give by texting START), and the defaults of the team's new
//     conversations: default_visible_to (user ids, [] clears) restricts them,
//     default_assignees (user ids, [] clears) assigns them instead of routing them; an
//     agent must keep themselves on a list they set. The store checks the ids are
//     users' and that the assignees are within the visibility.
func (s *Server) patchContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleContact(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Name     optional[string] `json:"name"`
		Ref      optional[string] `json:"ref"`
		TeamID   optional[string] `json:"team_id"`
		OptedOut optional[bool]   `json:"opted_out"`
		Blocked  optional[bool]   `json:"blocked"`

		DefaultVisibleTo optional[[]string] `json:"default_visible_to"`
		DefaultAssignees optional[[]string] `json:"default_assignees"`
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
			} else {
				err = storableText(f.field, *v)
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
	if p.DefaultVisibleTo, err = defaultVisibleTo(req.DefaultVisibleTo, user); err != nil {
		writeError(w, r, err)
		return
	}
	if p.DefaultAssignees, err = defaultAssignees(req.DefaultAssignees, user); err != nil {
		writeError(w, r, err)
		return
	}
	perTeam := p.Blocked != nil || p.OptedOut != nil || p.DefaultVisibleTo != nil || p.DefaultAssignees != nil
	if p.Name == nil && p.Ref == nil && !perTeam {
		writeError(w, r, conversation.Errorf(conversation.EInvalid,
			"nothing to change; send name, ref, opted_out, blocked, default_visible_to or default_assignees"))
		return
	}
	if (p.Name != nil || p.Ref != nil) && user.Role != store.RoleAdmin {
		if err := s.requireAllTeams(r, c.ID, user); err != nil {
			writeError(w, r, err)
			return
		}
	}
	if perTeam {
		if p.TeamID, err = s.settingsTeam(r, req.TeamID, user); err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.checkConsentChange(r, c.ID, p, user); err != nil {
			writeError(w, r, err)
			return
		}
	} else if req.TeamID.Set {
		writeError(w, r, conversation.Errorf(conversation.EInvalid,
			"team_id says whose settings change; send it with opted_out, blocked, default_visible_to or default_assignees"))
		return
	}
	if p.OptedOut != nil {
		p.ConsentReason = "opted back in by " + user.Name
		if *p.OptedOut {
			p.ConsentReason = "opted out by " + user.Name
		}
	}
	if err := s.Store.UpdateContact(r.Context(), c.ID, p); err != nil {
		writeError(w, r, err)
		return
	}
	if c, err = s.contactFor(r, c.ID); err != nil {
		writeError(w, r, err)
		return
	}
	s.writeContact(w, r, http.StatusOK, c)
}

// requireAllTeams refuses (403) a change of the organisation's fields of a contact by a
// user who is not a member of every team the contact has talked to.
func (s *Server) requireAllTeams(r *http.Request, contactID string, user store.User) error {
	outside, err := s.Store.TeamsOutside(r.Context(), contactID, user.TeamIDs)
	if err != nil || len(outside) == 0 {
		return err
	}
	return conversation.Errorf(conversation.EForbidden,
		"name and ref are shared by every team the contact has talked to, and you are not a member of %d of them; ask an admin", len(outside))
}

// settingsTeam is the team whose settings a PATCH changes: team_id (one of the
// caller's teams; any team for an admin), else the caller's only team, else (an
// admin) "" for every team.
func (s *Server) settingsTeam(r *http.Request, o optional[string], user store.User) (string, error) {
	v, err := o.ptr("team_id")
	if err != nil {
		return "", err
	}
	admin := user.Role == store.RoleAdmin
	switch {
	case v != nil && admin:
		if _, err := s.Store.Team(r.Context(), *v); err != nil {
			return "", conversation.Errorf(conversation.EUnprocessable, "team_id: team %s does not exist", *v)
		}
		return *v, nil
	case v != nil && !slices.Contains(user.TeamIDs, *v):
		return "", conversation.Errorf(conversation.ENotFound, "team_id: team not found among your teams")
	case v != nil:
		return *v, nil
	case admin:
		return "", nil
	case len(user.TeamIDs) == 1:
		return user.TeamIDs[0], nil
	}
	return "", conversation.Errorf(conversation.EInvalid,
		`"team_id" is required: you are a member of %d teams and these settings are one team's`, len(user.TeamIDs))
}

// checkConsentChange refuses (403) an agent's opt-in: consent is the customer's to
// give back (START), or an admin's.
func (s *Server) checkConsentChange(r *http.Request, contactID string, p store.ContactPatch, user store.User) error {
	if p.OptedOut == nil || *p.OptedOut || user.Role == store.RoleAdmin {
		return nil
	}
	t, err := s.Store.TeamSettingsOf(r.Context(), contactID, p.TeamID)
	if err != nil || !t.OptedOut {
		return err
	}
	return conversation.Errorf(conversation.EForbidden, "only an admin can opt a contact back in; the customer can text START")
}

// defaultVisibleTo validates a contact's new default visibility: ids without repeats,
// and, for an agent, themselves among them so they cannot lock themselves out of the
// contact's next conversations. The store checks that every id is a user's.
func defaultVisibleTo(o optional[[]string], user store.User) (*[]string, error) {
	return contactUserList(o, "default_visible_to", maxVisibleTo, user,
		"or you would not see the contact's new conversations; only an admin may leave themselves out")
}

// defaultAssignees validates a contact's new default assignment by the same rule as
// its default visibility: ids without repeats and, for an agent, themselves among them
// (an agent may take the contact's new conversations, alone or with others, but not
// hand them to others alone, as they may assign a conversation only to themselves).
// The store checks that every id is a user's and within the default visibility.
func defaultAssignees(o optional[[]string], user store.User) (*[]string, error) {
	return contactUserList(o, "default_assignees", maxAssignees, user,
		"as agents may assign conversations only to themselves; only an admin may set it to others alone")
}

// contactUserList is the one rule for a contact's lists of users: present means a list
// (null is refused), repeats are dropped, at most limit users, and a non-empty list set
// by an agent includes the agent (why says why, in the refusal).
func contactUserList(o optional[[]string], field string, limit int, user store.User, why string) (*[]string, error) {
	v, err := o.ptr(field)
	if v == nil || err != nil {
		return nil, err
	}
	ids := []string{}
	for _, id := range *v {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > limit {
		return nil, conversation.Errorf(conversation.EUnprocessable, "%s lists %d users; the limit is %d", field, len(ids), limit)
	}
	if len(ids) > 0 && user.Role != store.RoleAdmin && !slices.Contains(ids, user.ID) {
		return nil, conversation.Errorf(conversation.EUnprocessable, "%s must include you (%s), %s", field, user.ID, why)
	}
	return &ids, nil
}

// contactHistory: GET /v1/contacts/{id}/history?from=&to=&cursor=&limit= — the
// contact's conversations, chat handoffs and log entries in the caller's teams
// (conversations only if the caller may open them), newest first, begun in [from, to);
// total counts the conversations over every page.
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
	rng, err := conversationRange(r, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.Store.ContactHistory(r.Context(), c.ID, viewerOf(userFrom(r)), rng, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

const maxLogBody = 1000

// postContactLog: POST /v1/contacts/{id}/log {"body", "kind"?, "team_id"?} — log what
// happened outside textdesk (a call, an email) in the contact's history. The entry
// belongs to team_id, which may be left out by a member of a single team.
func (s *Server) postContactLog(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleContact(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Body   *string `json:"body"`
		Kind   *string `json:"kind"`
		TeamID *string `json:"team_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	e, err := logEntry(user, req.Body, req.Kind, req.TeamID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	e.ContactID = c.ID
	e, err = s.Store.AddLogEntry(r.Context(), e, s.Now().UTC())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

// logEntry validates a log entry's fields, explaining the first problem.
func logEntry(user store.User, body, kind, teamID *string) (store.LogEntry, error) {
	e := store.LogEntry{AuthorID: &user.ID, Kind: store.LogKinds[0]}
	if body == nil || strings.TrimSpace(*body) == "" {
		return e, conversation.Errorf(conversation.EInvalid, `"body" is required: what happened, e.g. "called, left a voicemail"`)
	}
	if n := utf8.RuneCountInString(*body); n > maxLogBody {
		return e, conversation.Errorf(conversation.EUnprocessable, "body is %d characters; the limit is %d", n, maxLogBody)
	}
	if err := storableText("body", *body); err != nil {
		return e, err
	}
	e.Body = strings.TrimSpace(*body)
	if kind != nil {
		if !slices.Contains(store.LogKinds, *kind) {
			return e, conversation.Errorf(conversation.EInvalid, "kind must be one of %s", strings.Join(store.LogKinds, ", "))
		}
		e.Kind = *kind
	}
	switch {
	case teamID != nil && !slices.Contains(user.TeamIDs, *teamID):
		return e, conversation.Errorf(conversation.ENotFound, "team not found among your teams")
	case teamID != nil:
		e.TeamID = *teamID
	case len(user.TeamIDs) == 1:
		e.TeamID = user.TeamIDs[0]
	default:
		return e, conversation.Errorf(conversation.EInvalid, `"team_id" is required: you are a member of %d teams and the entry belongs to one`, len(user.TeamIDs))
	}
	return e, nil
}
