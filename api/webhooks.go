package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/nyaruka/phonenumbers"
	"github.com/twilio/twilio-go/client"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

// maxWebhookBody bounds what we read from Twilio; real webhooks are a few KB.
const maxWebhookBody = 64 << 10

// emptyTwiML tells Twilio we received the message and have nothing to reply inline.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// requireTwilioSignature refuses (403) any webhook whose X-Twilio-Signature does not
// match the public URL and form, so nobody but Twilio can post messages.
func (s *Server) requireTwilioSignature(v client.RequestValidator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
			if err := r.ParseForm(); err != nil {
				writeError(w, r, conversation.Errorf(conversation.EInvalid, "webhook body is not a valid form: %v", err))
				return
			}
			params := make(map[string]string, len(r.PostForm))
			for k, vs := range r.PostForm {
				params[k] = vs[0]
			}
			url := s.PublicURL + r.URL.RequestURI()
			sig := r.Header.Get("X-Twilio-Signature")
			if sig == "" || !v.Validate(url, params, sig) {
				loggerFrom(r).Warn("webhook refused: bad signature", "url", url, "signed", sig != "")
				writeError(w, r, conversation.Errorf(conversation.EForbidden, "X-Twilio-Signature is missing or does not match"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inboundMessage receives a customer's SMS: it finds the team and contact, opens (or
// finds) the conversation and hands the message to its workflow. The workflow stores it.
func (s *Server) inboundMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sid := r.PostForm.Get("MessageSid")
	if sid == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "MessageSid is required"))
		return
	}
	to, err := normalizePhone(r.PostForm.Get("To"), "")
	if err != nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "To: %s", err))
		return
	}
	team, err := s.Store.TeamByNumber(ctx, to)
	if err != nil {
		if conversation.ErrorCode(err) == conversation.ENotFound {
			err = conversation.Errorf(conversation.ENotFound, "%s is not a number of any textdesk team; add it to a team", to)
		}
		writeError(w, r, err)
		return
	}
	from, err := normalizePhone(r.PostForm.Get("From"), team.DefaultRegion)
	if err != nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "From: %s", err))
		return
	}
	contact, err := s.Store.EnsureContact(ctx, from)
	if err != nil {
		writeError(w, r, err)
		return
	}
	segments, _ := strconv.Atoi(r.PostForm.Get("NumSegments"))
	sig := workflows.InboundSignal{
		MessageSid:  sid,
		From:        from,
		To:          to,
		Body:        r.PostForm.Get("Body"),
		NumSegments: segments,
		ReceivedAt:  s.Now().UTC(),
	}

	if _, err := s.Dispatch.Inbound(ctx, team, contact, sig); err != nil {
		loggerFrom(r).Error("inbound message not handed to workflow", "MessageSid", sid, "error", err)
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(emptyTwiML))
}

// statusCallback records Twilio's delivery reports. Statuses only move forward.
func (s *Server) statusCallback(w http.ResponseWriter, r *http.Request) {
	sid, status := r.PostForm.Get("MessageSid"), r.PostForm.Get("MessageStatus")
	if sid == "" || status == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "MessageSid and MessageStatus are required"))
		return
	}
	if !knownStatus[status] {
		// Twilio adds statuses over time ("read", "accepted", ...); acknowledge them so it
		// does not retry, but record nothing we do not understand.
		loggerFrom(r).Info("status callback with unhandled status", "MessageSid", sid, "status", status)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	code, _ := strconv.Atoi(r.PostForm.Get("ErrorCode"))
	found, err := s.Store.ApplyStatusCallback(r.Context(), sid, status, code, r.PostForm.Get("ErrorMessage"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !found {
		// Answer 2xx anyway: an unknown SID will never become known, and a 4xx/5xx would
		// make Twilio retry forever.
		loggerFrom(r).Warn("status callback for unknown message", "MessageSid", sid, "status", status)
	}
	w.WriteHeader(http.StatusNoContent)
}

var knownStatus = map[string]bool{
	"queued": true, "sending": true, "sent": true, "delivered": true, "undelivered": true, "failed": true,
}

// normalizePhone parses a number (E.164, or national in region) to E.164.
func normalizePhone(raw, region string) (string, error) {
	if raw == "" {
		return "", errors.New("phone number is missing")
	}
	if region == "" {
		region = "US"
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return "", errors.New("not a phone number: " + err.Error())
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", errors.New(raw + " is not a valid phone number")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}
