package twilioemu

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// Control endpoints for tests and humans. They are unauthenticated on
// purpose: the emulator only ever runs on a developer machine or in tests.

type inboundRequest struct {
	From                string   `json:"from"`
	To                  string   `json:"to"`
	MessagingServiceSid string   `json:"messaging_service_sid"`
	Body                string   `json:"body"`
	MediaURLs           []string `json:"media_urls"`
	MediaContentTypes   []string `json:"media_content_types"`
}

type inboundResponse struct {
	Sid           string `json:"sid,omitempty"`
	WebhookStatus int    `json:"webhook_status,omitempty"`
	Error         string `json:"error,omitempty"`
}

func (e *Emulator) handleControlInbound(w http.ResponseWriter, r *http.Request) {
	var req inboundRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, inboundResponse{Error: "invalid JSON: " + err.Error()})
		return
	}
	sid, status, err := e.SimulateInbound(r.Context(), Inbound{
		From:                req.From,
		To:                  req.To,
		MessagingServiceSid: req.MessagingServiceSid,
		Body:                req.Body,
		MediaURLs:           req.MediaURLs,
		MediaContentTypes:   req.MediaContentTypes,
	})
	switch {
	case errors.Is(err, ErrInvalidInbound):
		writeJSON(w, http.StatusBadRequest, inboundResponse{Error: err.Error()})
	case err != nil:
		// The message exists, but the product's webhook was unreachable.
		writeJSON(w, http.StatusBadGateway, inboundResponse{Sid: sid, Error: err.Error()})
	default:
		writeJSON(w, http.StatusOK, inboundResponse{Sid: sid, WebhookStatus: status})
	}
}

func (e *Emulator) handleControlMessages(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Messages []Message `json:"messages"`
	}{e.Messages()})
}

// handleControlReset forgets every message; in-flight lifecycles of the
// forgotten messages stop at their next step.
func (e *Emulator) handleControlReset(w http.ResponseWriter, _ *http.Request) {
	e.store.reset()
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, e.Faults())
}

// handleSetFaults replaces the injected faults with the JSON body (see Faults).
func (e *Emulator) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, inboundResponse{Error: err.Error()})
		return
	}
	f, err := ParseFaults(body)
	if err == nil {
		err = e.SetFaults(f)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, inboundResponse{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, e.Faults())
}

func (e *Emulator) handleClearFaults(w http.ResponseWriter, _ *http.Request) {
	e.faults.set(Faults{})
	w.WriteHeader(http.StatusNoContent)
}
