package api

import (
	"net/http"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// getMe: GET /v1/me — the caller, their role, teams and presence (and the session's
// CSRF token when signed in with the cookie).
func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	s.writeMe(w, r, userFrom(r), credentialFrom(r).session)
}

// writeMe answers the GET /v1/me body for user, signed in with ses (nil: a token).
func (s *Server) writeMe(w http.ResponseWriter, r *http.Request, user store.User, ses *store.Session) {
	p, err := s.Store.GetPresence(r.Context(), user.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	teams, err := s.Store.UserTeams(r.Context(), user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	csrf := ""
	if ses != nil {
		csrf = ses.CSRFToken
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, http.StatusOK, struct {
		store.User
		Presence store.Presence `json:"presence"`
		// Teams: with names and the caller's role (admins: every team, as supervisor).
		Teams     []store.TeamRef `json:"teams"`
		CSRFToken string          `json:"csrf_token,omitempty"`
	}{user, p, teams, csrf})
}

// putPresence: PUT /v1/me/presence {"state": "available"|"away"|"offline"}. RONA is set
// by routing only. Becoming available offers the caller's teams' waiting conversations.
func (s *Server) putPresence(w http.ResponseWriter, r *http.Request) {
	var req struct {
		State string `json:"state"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	switch req.State {
	case store.PresenceAvailable, store.PresenceAway, store.PresenceOffline:
	default:
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `state must be "available", "away" or "offline" (RONA is set by routing)`))
		return
	}
	user := userFrom(r)
	p, err := s.Store.SetPresence(r.Context(), user.ID, req.State)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if req.State == store.PresenceAvailable {
		if err := s.Dispatch.Nudge(r.Context(), user.TeamIDs, 50); err != nil {
			// The presence is stored; routing catches up at the next nudge.
			loggerFrom(r).Warn("waiting conversations not nudged", "error", err)
		}
	}
	writeJSON(w, http.StatusOK, p)
}

// getOffers: GET /v1/me/offers — the caller's pending offers.
func (s *Server) getOffers(w http.ResponseWriter, r *http.Request) {
	offers, err := s.Store.OffersFor(r.Context(), userFrom(r).ID, s.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"offers": offers})
}
