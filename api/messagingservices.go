package api

import (
	"cmp"
	"math"
	"net/http"
	"regexp"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/phone"
	"github.com/textdesk/textdesk/store"
)

// A Messaging Service SID as Twilio writes it (team_messaging_services_sid_check).
var serviceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)

// maxSendRate bounds a number's send rate: well above any sender Twilio sells (short
// codes reach 100 segments/s, more by arrangement), so a typo (10000) is caught.
const maxSendRate = 1000

func validServiceSID(field, sid string) error {
	if !serviceSID.MatchString(sid) {
		return conversation.Errorf(conversation.EUnprocessable,
			"%s: %q is not a Messaging Service SID (MG followed by 32 hexadecimal digits, as the Twilio console shows it)", field, sid)
	}
	return nil
}

// listMessagingServices: GET /v1/teams/{id}/messaging-services — admins see a team's
// Messaging Services, each with the team's numbers in its pool.
func (s *Server) listMessagingServices(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "see a team's messaging services")
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Store.MessagingServices(r.Context(), team.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messaging_services": list})
}

// linkMessagingService: POST /v1/teams/{id}/messaging-services {"sid"} — admins link a
// Messaging Service to a team: inbound messages to its pool reach the team, and the
// numbers that join through it send with it. A service linked anywhere already is 409.
func (s *Server) linkMessagingService(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "change a team's messaging services")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		SID string `json:"sid"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := validServiceSID("sid", req.SID); err != nil {
		writeError(w, r, err)
		return
	}
	ms, err := s.Store.LinkMessagingService(r.Context(), team.ID, req.SID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditServiceLink, "team", team.ID, map[string]any{"messaging_service_sid": req.SID})
	writeJSON(w, http.StatusCreated, ms)
}

// unlinkMessagingService: DELETE /v1/teams/{id}/messaging-services/{sid} — admins
// unlink a service; its numbers stay the team's and send with From alone.
func (s *Server) unlinkMessagingService(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "change a team's messaging services")
	if err != nil {
		writeError(w, r, err)
		return
	}
	sid := pathParam(r, "sid")
	if err := s.Store.UnlinkMessagingService(r.Context(), team.ID, sid); err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditServiceUnlink, "team", team.ID, map[string]any{"messaging_service_sid": sid})
	w.WriteHeader(http.StatusNoContent)
}

// listTeamNumbers: GET /v1/teams/{id}/numbers — admins see a team's numbers with their
// send rate and Messaging Service.
func (s *Server) listTeamNumbers(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "see a team's number settings")
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Store.TeamNumbers(r.Context(), team.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": list, "default_send_rate": cmp.Or(s.DefaultSendRate, 1)})
}

type patchNumberRequest struct {
	SendRate            optional[float64] `json:"send_rate"`
	MessagingServiceSID optional[string]  `json:"messaging_service_sid"`
}

func (req patchNumberRequest) patch() (store.NumberPatch, error) {
	var p store.NumberPatch
	if !req.SendRate.Set && !req.MessagingServiceSID.Set {
		return p, conversation.Errorf(conversation.EInvalid, "nothing to change: give send_rate or messaging_service_sid")
	}
	if req.SendRate.Null {
		p.ClearSendRate = true
	} else if req.SendRate.Set {
		rate := req.SendRate.Value
		if !(rate > 0) || rate > maxSendRate || math.IsInf(rate, 0) {
			return p, conversation.Errorf(conversation.EUnprocessable,
				"send_rate: %v must be segments per second above 0 and at most %d (1 for a long code; null for the default)", rate, maxSendRate)
		}
		p.SendRate = &rate
	}
	if req.MessagingServiceSID.Null {
		p.ClearService = true
	} else if req.MessagingServiceSID.Set {
		if err := validServiceSID("messaging_service_sid", req.MessagingServiceSID.Value); err != nil {
			return p, err
		}
		p.MessagingServiceSID = &req.MessagingServiceSID.Value
	}
	return p, nil
}

// patchTeamNumber: PATCH /v1/teams/{id}/numbers/{number} {"send_rate"?,
// "messaging_service_sid"?} — admins set a number's send rate (null: the default) and
// the Messaging Service whose pool it is in (null: none). The next message the number
// sends is paced at the new rate.
func (s *Server) patchTeamNumber(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "change a team's numbers")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req patchNumberRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := req.patch()
	if err != nil {
		writeError(w, r, err)
		return
	}
	number := pathParam(r, "number")
	if n, _, err := phone.Normalize(number, phone.DefaultRegion); err == nil {
		number = n
	}
	n, err := s.Store.PatchTeamNumber(r.Context(), team.ID, number, p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditNumberUpdate, "team", team.ID, map[string]any{
		"number": n.Number, "send_rate": n.SendRate, "messaging_service_sid": n.MessagingServiceSID})
	writeJSON(w, http.StatusOK, n)
}
