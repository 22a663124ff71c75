package workflows

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/conversation"
)

// Who may act on a conversation is decided from Action.Caller, which the API fills from
// the authenticated user. Anyone who can reach Temporal could send an update with a
// made-up Caller (Admin: true); the API therefore signs the caller with
// TEXTDESK_CALLER_KEY, and the update validator refuses a caller whose signature does
// not verify (issue 13). The MAC covers the user, their roles and the team those were
// decided in, the conversation, the update's name and its id, so a signed caller
// cannot be replayed on another conversation or action. The check is a pure HMAC, so
// the validator stays deterministic, and validators do not run on replay: histories
// recorded before signing replay unchanged.

// callerKey is the verifying key; nil skips verification (package tests that do not
// set one). The worker sets it once at start (SetCallerKey), before any task runs.
var callerKey atomic.Pointer[[]byte]

// SetCallerKey sets the key update validators verify callers with (the worker's
// TEXTDESK_CALLER_KEY). Empty turns verification off.
func SetCallerKey(key []byte) {
	if len(key) == 0 {
		callerKey.Store(nil)
		return
	}
	k := append([]byte(nil), key...)
	callerKey.Store(&k)
}

// CallerMAC is the signature of a caller acting on conversationID with update
// (name and id), under key, hex-encoded.
func CallerMAC(key []byte, c conversation.Caller, conversationID, update, updateID string) string {
	m := hmac.New(sha256.New, key)
	for _, f := range []string{"textdesk-caller-v1", c.UserID, strconv.FormatBool(c.Admin), strconv.FormatBool(c.Supervisor),
		c.TeamID, conversationID, update, updateID} {
		m.Write([]byte(f))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// SignAction signs a's caller for update (name and id) on a.ConversationID.
func SignAction(key []byte, a *Action, update, updateID string) {
	if len(key) == 0 {
		return
	}
	a.CallerSig = CallerMAC(key, a.Caller, a.ConversationID, update, updateID)
}

// verifyCaller refuses (403) an update whose caller is not signed by the key, or whose
// supervisor role was granted for another team than the conversation's.
func (w *conversationWorkflow) verifyCaller(ctx workflow.Context, update string, a Action) error {
	key := callerKey.Load()
	if key == nil {
		return nil
	}
	info := workflow.GetCurrentUpdateInfo(ctx)
	if info == nil {
		return conversation.Errorf(conversation.EForbidden, "the caller cannot be verified outside an update")
	}
	want := CallerMAC(*key, a.Caller, a.ConversationID, update, info.ID)
	if !hmac.Equal([]byte(want), []byte(a.CallerSig)) {
		return conversation.Errorf(conversation.EForbidden,
			"the caller's signature does not verify: updates must come through the textdesk API (TEXTDESK_CALLER_KEY)")
	}
	if a.Caller.Supervisor && a.Caller.TeamID != w.state.TeamID {
		return conversation.Errorf(conversation.EForbidden, "the caller supervises another team than the conversation's; retry")
	}
	return nil
}
