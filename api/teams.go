package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/nyaruka/phonenumbers"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

type putChatRequest struct {
	On           *bool   `json:"on"`
	AutoResponse *string `json:"auto_response"`
}

// putChat: PUT /v1/teams/{id}/chat {"on": bool, "auto_response"?: "..."} — the team's
// supervisors and admins switch chat and change the auto-response (sent to new
// conversations while off); its agents only switch chat, and only when the team's
// agents_can_toggle_chat allows it: what every customer receives is not theirs to
// rewrite.
func (s *Server) putChat(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req putChatRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.On == nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"on" is required: true or false`))
		return
	}
	if req.AutoResponse != nil {
		if n := utf8.RuneCountInString(*req.AutoResponse); n > conversation.MaxBodyLength {
			writeError(w, r, conversation.Errorf(conversation.EUnprocessable,
				"auto_response is %d characters; the limit is %d", n, conversation.MaxBodyLength))
			return
		}
	}
	sup, err := s.supervises(r, team.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	switch {
	case !sup && req.AutoResponse != nil:
		writeError(w, r, conversation.Errorf(conversation.EForbidden, "only the team's supervisors or an admin can change the auto-response; send \"on\" alone"))
		return
	case !sup && !team.AgentsCanToggleChat:
		writeError(w, r, conversation.Errorf(conversation.EForbidden, "the team lets only its supervisors and admins turn chat on or off"))
		return
	}
	team, err = s.Store.SetChat(r.Context(), team.ID, *req.On, req.AutoResponse)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if team.ChatOn {
		// Missed conversations are offered now that someone can take them: in the
		// background, a batch at a time (workflows.TeamChatNudge), not in this request.
		if err := s.Dispatch.StartChatNudge(r.Context(), team.ID); err != nil {
			loggerFrom(r).Warn("missed conversations not nudged", "error", err)
		}
	}
	writeJSON(w, http.StatusOK, team)
}

// teamNeed is what a team route needs of its caller.
type teamNeed int

const (
	teamRead      teamNeed = iota // the team's members and admins
	teamSupervise                 // the team's supervisors and admins
	teamAdmin                     // admins
)

// teamAccess loads the team {id} for the caller. Admins reach every team; agents only
// their own (any other is 404, so other teams' existence is not revealed); a change
// beyond the caller's role there is 403.
func (s *Server) teamAccess(r *http.Request, need teamNeed) (store.Team, error) {
	user := userFrom(r)
	id := chi.URLParam(r, "id")
	if user.Role != store.RoleAdmin {
		if !slices.Contains(user.TeamIDs, id) {
			return store.Team{}, conversation.Errorf(conversation.ENotFound, "team not found among your teams")
		}
		switch need {
		case teamAdmin:
			return store.Team{}, conversation.Errorf(conversation.EForbidden, "only an admin can change this")
		case teamSupervise:
			sup, err := s.supervises(r, id)
			if err != nil {
				return store.Team{}, err
			}
			if !sup {
				return store.Team{}, conversation.Errorf(conversation.EForbidden, "only the team's supervisors or an admin can do this")
			}
		}
	}
	return s.Store.Team(r.Context(), id)
}

// supervises reports whether the caller is an admin or a supervisor of teamID.
func (s *Server) supervises(r *http.Request, teamID string) (bool, error) {
	user := userFrom(r)
	if user.Role == store.RoleAdmin {
		return true, nil
	}
	if !slices.Contains(user.TeamIDs, teamID) {
		return false, nil
	}
	role, err := s.Store.TeamRole(r.Context(), teamID, user.ID)
	return role == store.TeamRoleSupervisor, err
}

// getTeam: GET /v1/teams/{id} — the team's settings, for its members and admins.
func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, team)
}

type patchTeamRequest struct {
	Name                      optional[string]                `json:"name"`
	ChatOn                    optional[bool]                  `json:"chat_on"`
	AgentsCanToggleChat       optional[bool]                  `json:"agents_can_toggle_chat"`
	AutoResponse              optional[string]                `json:"auto_response"`
	BusinessHours             optional[map[string][][]string] `json:"business_hours"`
	TimeZone                  optional[string]                `json:"time_zone"`
	OfferTimeoutSeconds       optional[int]                   `json:"offer_timeout_seconds"`
	WrapUpTimeoutSeconds      optional[int]                   `json:"wrap_up_timeout_seconds"`
	Capacity                  optional[int]                   `json:"capacity"`
	InactivityDays            optional[int]                   `json:"inactivity_days"`
	HelpText                  optional[string]                `json:"help_text"`
	DefaultRegion             optional[string]                `json:"default_region"`
	AutoResponseIntervalHours optional[int]                   `json:"auto_response_interval_hours"`
	DefaultWrapUpReason       optional[string]                `json:"default_wrap_up_reason"`
	AllowedCountries          optional[[]string]              `json:"allowed_countries"`
	DailySendQuota            optional[int]                   `json:"daily_send_quota"`
}

// Limits of team texts, in characters. Texts sent as SMS share the compose limit.
const (
	maxTeamName     = 100
	maxReasonLength = 100
)

// patch validates the request into a store.TeamPatch, explaining the first problem.
func (req patchTeamRequest) patch() (store.TeamPatch, error) {
	var p store.TeamPatch
	var err error
	for _, f := range []struct {
		dst      **string
		field    string
		o        optional[string]
		limit    int
		required bool // not blank; stored trimmed
	}{
		{&p.Name, "name", req.Name, maxTeamName, true},
		{&p.AutoResponse, "auto_response", req.AutoResponse, conversation.MaxBodyLength, false},
		{&p.HelpText, "help_text", req.HelpText, conversation.MaxBodyLength, false},
		{&p.DefaultWrapUpReason, "default_wrap_up_reason", req.DefaultWrapUpReason, maxReasonLength, true},
	} {
		if *f.dst, err = textField(f.field, f.o, f.limit, f.required); err != nil {
			return p, err
		}
	}
	for _, f := range []struct {
		dst    **int
		field  string
		o      optional[int]
		lo, hi int
		unit   string
	}{
		{&p.OfferTimeoutSeconds, "offer_timeout_seconds", req.OfferTimeoutSeconds, 1, 3600, "seconds"},
		{&p.WrapUpTimeoutSeconds, "wrap_up_timeout_seconds", req.WrapUpTimeoutSeconds, 1, 86400, "seconds"},
		{&p.Capacity, "capacity", req.Capacity, 1, 100, "conversations"},
		{&p.InactivityDays, "inactivity_days", req.InactivityDays, 1, 365, "days"},
		{&p.AutoResponseIntervalHours, "auto_response_interval_hours", req.AutoResponseIntervalHours, 0, 8760, "hours"},
	} {
		v, err := f.o.ptr(f.field)
		if err != nil {
			return p, err
		}
		if v != nil && (*v < f.lo || *v > f.hi) {
			return p, conversation.Errorf(conversation.EInvalid, "%s must be from %d to %d %s", f.field, f.lo, f.hi, f.unit)
		}
		*f.dst = v
	}
	if p.ChatOn, err = req.ChatOn.ptr("chat_on"); err != nil {
		return p, err
	}
	if p.AgentsCanToggleChat, err = req.AgentsCanToggleChat.ptr("agents_can_toggle_chat"); err != nil {
		return p, err
	}
	if tz, err := req.TimeZone.ptr("time_zone"); err != nil {
		return p, err
	} else if tz != nil {
		if _, lerr := time.LoadLocation(*tz); lerr != nil || *tz == "" || *tz == "Local" {
			return p, conversation.Errorf(conversation.EInvalid, "time_zone %q is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)", *tz)
		}
		p.TimeZone = tz
	}
	if region, err := req.DefaultRegion.ptr("default_region"); err != nil {
		return p, err
	} else if region != nil {
		r := strings.ToUpper(*region)
		if len(r) != 2 || phonenumbers.GetCountryCodeForRegion(r) == 0 {
			return p, conversation.Errorf(conversation.EInvalid,
				"default_region %q is not a region phone numbers can be read in; use an ISO 3166 code such as US, GB or FR", *region)
		}
		p.DefaultRegion = &r
	}
	if err := req.sendLimits(&p); err != nil {
		return p, err
	}
	if req.BusinessHours.Set {
		p.SetBusinessHours = true
		if !req.BusinessHours.Null {
			hours, err := businessHours(req.BusinessHours.Value)
			if err != nil {
				return p, err
			}
			p.BusinessHours = hours
		}
	}
	return p, nil
}

// textField validates a text setting: at most limit characters (422), and when
// required not blank (400; it is then trimmed).
func textField(field string, o optional[string], limit int, required bool) (*string, error) {
	v, err := o.ptr(field)
	if err != nil || v == nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(*v); n > limit {
		return nil, conversation.Errorf(conversation.EUnprocessable, "%s is %d characters; the limit is %d", field, n, limit)
	}
	if required {
		if *v = strings.TrimSpace(*v); *v == "" {
			return nil, conversation.Errorf(conversation.EInvalid, "%s must not be empty", field)
		}
	}
	return v, nil
}

// businessHours checks the request's hours (each interval exactly [opens, closes]) with
// conversation.BusinessHours.Validate. Hours without a single open interval would
// close chat for good; that is refused (turn chat off instead).
func businessHours(in map[string][][]string) (conversation.BusinessHours, error) {
	hours := conversation.BusinessHours{}
	open := 0
	for day, spans := range in {
		hours[day] = [][2]string{}
		for _, sp := range spans {
			if len(sp) != 2 {
				return nil, conversation.Errorf(conversation.EInvalid, "business_hours.%s: each interval is [opens, closes], e.g. [\"09:00\", \"17:00\"]", day)
			}
			hours[day] = append(hours[day], [2]string{sp[0], sp[1]})
			open++
		}
	}
	if err := hours.Validate(); err != nil {
		return nil, err
	}
	if open == 0 {
		return nil, conversation.Errorf(conversation.EInvalid,
			"business_hours has no open interval; send null for no business hours, or turn chat off with chat_on")
	}
	return hours, nil
}

// patchTeam: PATCH /v1/teams/{id} — admins change a team's settings; its supervisors
// the chat switch, the auto-response and whether agents may switch chat. Routing settings
// apply from the next offer, message rules from the next message; turning chat on (or
// opening business hours now) offers the conversations waiting in Missed.
func (s *Server) patchTeam(w http.ResponseWriter, r *http.Request) {
	if _, err := s.teamAccess(r, teamSupervise); err != nil {
		writeError(w, r, err)
		return
	}
	var req patchTeamRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := req.patch()
	if err != nil {
		writeError(w, r, err)
		return
	}
	if userFrom(r).Role != store.RoleAdmin && !p.SupervisorsMay() {
		writeError(w, r, conversation.Errorf(conversation.EForbidden,
			"a supervisor changes only chat_on, auto_response and agents_can_toggle_chat; the other settings are an admin's"))
		return
	}
	if p.Empty() {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "nothing to change; send at least one setting"))
		return
	}
	team, err := s.Store.UpdateTeam(r.Context(), chi.URLParam(r, "id"), p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditTeamUpdate, "team", team.ID, map[string]any{"changes": p})
	if (p.ChatOn != nil || p.SetBusinessHours || p.TimeZone != nil) && team.ChatOpen(s.Now()) {
		if err := s.Dispatch.Nudge(r.Context(), []string{team.ID}, 500); err != nil {
			loggerFrom(r).Warn("missed conversations not nudged", "error", err)
		}
	}
	writeJSON(w, http.StatusOK, team)
}

type wrapUpReasons struct {
	WrapUpReasons       []string `json:"wrap_up_reasons"`
	DefaultWrapUpReason string   `json:"default_wrap_up_reason"`
}

// listWrapUpReasons: GET /v1/teams/{id}/wrap-up-reasons — members and admins.
func (s *Server) listWrapUpReasons(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wrapUpReasons{team.WrapUpReasons, team.DefaultWrapUpReason})
}

// postWrapUpReason: POST /v1/teams/{id}/wrap-up-reasons {"reason"} — admins add a reason.
func (s *Server) postWrapUpReason(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamAdmin)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	reason := strings.TrimSpace(req.Reason)
	switch n := utf8.RuneCountInString(req.Reason); {
	case reason == "":
		err = conversation.Errorf(conversation.EInvalid, `"reason" is required and must not be blank`)
	case n > maxReasonLength:
		err = conversation.Errorf(conversation.EUnprocessable, "reason is %d characters; the limit is %d", n, maxReasonLength)
	}
	if err == nil {
		err = s.Store.AddWrapUpReason(r.Context(), team.ID, reason)
	}
	if err == nil {
		team, err = s.Store.Team(r.Context(), team.ID)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wrapUpReasons{team.WrapUpReasons, team.DefaultWrapUpReason})
}

// deleteWrapUpReason: DELETE /v1/teams/{id}/wrap-up-reasons/{reason} — admins.
// Conversations already wrapped up keep the reason they were given.
func (s *Server) deleteWrapUpReason(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamAdmin)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Store.DeleteWrapUpReason(r.Context(), team.ID, pathParam(r, "reason")); err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditReasonDelete, "team", team.ID, map[string]any{"reason": pathParam(r, "reason")})
	w.WriteHeader(http.StatusNoContent)
}

// pathParam is a path parameter decoded: chi matches the escaped path when the request
// had escapes Go would not have written (e.g. %2F), and the parameter is then escaped.
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if r.URL.RawPath != "" {
		if u, err := url.PathUnescape(v); err == nil {
			return u
		}
	}
	return v
}
