package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/textdesk/textdesk/store"
)

// Audited actions (the action of an audit event).
const (
	auditUserCreate        = "user.create"
	auditUserDisable       = "user.disable"
	auditUserEnable        = "user.enable"
	auditUserRevokeAll     = "user.revoke_credentials"
	auditUserPasswordReset = "user.password_reset_link"
	auditTokenCreate       = "token.create"
	auditTokenRevoke       = "token.revoke"
	auditTeamCreate        = "team.create"
	auditTeamUpdate        = "team.update"
	auditNumberAdd         = "team.number_add"
	auditNumberRemove      = "team.number_remove"
	auditNumberUpdate      = "team.number_update"
	auditServiceLink       = "team.messaging_service_link"
	auditServiceUnlink     = "team.messaging_service_unlink"
	auditMemberPut         = "team.member_put"
	auditMemberRemove      = "team.member_remove"
	auditConversationDel   = "conversation.delete"
	auditTemplateDelete    = "team.template_delete"
	auditReasonDelete      = "team.wrap_up_reason_delete"
)

// audit records that the caller did action on a target, once the change is made, for
// changes the store does not record in their own transaction (teams, numbers,
// memberships, deletions). The record outlives a client that hung up. Should Postgres
// fail between the change and its record, the change stands and the failure is logged
// at ERROR (audit event not written) with everything the record would have held.
func (s *Server) audit(r *http.Request, action, targetType, targetID string, details map[string]any) {
	ev := auditEvent(r, action, targetType, targetID, details)
	if err := s.Store.RecordAudit(context.WithoutCancel(r.Context()), ev); err != nil {
		loggerFrom(r).Error("audit event not written", "error", err, "actor_id", ev.ActorID, "action", action,
			"target_type", targetType, "target_id", targetID, "details", ev.Details)
	}
}

// audited is r's context carrying the audit event for the change the store method
// called with it makes: it is recorded in that change's transaction (user and token
// changes; see store.WithAudit).
func audited(r *http.Request, action, targetType, targetID string, details map[string]any) context.Context {
	return store.WithAudit(r.Context(), auditEvent(r, action, targetType, targetID, details))
}

func auditEvent(r *http.Request, action, targetType, targetID string, details map[string]any) store.AuditEvent {
	u := userFrom(r)
	if details == nil {
		details = map[string]any{}
	}
	if c := credentialFrom(r); c.session != nil {
		details["credential"] = "session"
	} else if c.tokenID != "" {
		details["credential"] = "token " + c.tokenID
	}
	ev := store.AuditEvent{Actor: u.Email, Action: action, TargetType: targetType, TargetID: targetID, Details: details}
	if u.ID != "" {
		ev.ActorID = &u.ID
	}
	return ev
}

// listAuditEvents: GET /v1/audit-events?actor_id=&target_id=&action=&cursor=&limit= —
// admins read the audit log, newest first.
func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "read the audit log"); err != nil {
		writeError(w, r, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	events, next, err := s.Store.AuditEvents(r.Context(), store.AuditFilter{
		ActorID: strings.TrimSpace(q.Get("actor_id")), TargetID: strings.TrimSpace(q.Get("target_id")),
		Action: strings.TrimSpace(q.Get("action")), Before: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events, "next_cursor": next})
}
