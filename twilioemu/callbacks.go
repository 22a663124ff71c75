package twilioemu

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// startLifecycle walks a new message through its statuses in the
// background, so the REST response never waits on callbacks.
func (e *Emulator) startLifecycle(m Message) {
	steps := e.faults.lifecycle(m)
	if !e.goBackground(func(ctx context.Context) { e.runLifecycle(ctx, m.Sid, steps) }) {
		e.log.Warn("emulator closed; message keeps its initial status", "message_sid", m.Sid)
	}
}

// runLifecycle applies each transition after CallbackDelay and, if the
// message has a StatusCallback, reports it there before moving on, which
// keeps callbacks in order. The first step also waits, so the create
// response normally reaches the client before any callback.
//
// Faults may delay each callback further, or hold them all until the
// lifecycle is over and then send them out of order (the message itself
// still moves through its statuses in order, as at Twilio).
func (e *Emulator) runLifecycle(ctx context.Context, sid string, steps []transition) {
	delay, order := e.faults.callbackPlan(len(steps))
	var held []Message
	for _, st := range steps {
		if !sleep(ctx, e.cfg.CallbackDelay) {
			return
		}
		m, ok := e.store.update(sid, func(m *Message) { apply(m, st) })
		if !ok {
			return // reset removed it
		}
		switch {
		case m.StatusCallback == "":
		case order != nil:
			held = append(held, m)
		default:
			if !sleep(ctx, delay) {
				return
			}
			e.sendStatusCallback(ctx, m)
		}
	}
	for _, i := range order {
		if i >= len(held) {
			continue
		}
		if !sleep(ctx, delay) {
			return
		}
		e.sendStatusCallback(ctx, held[i])
	}
}

func apply(m *Message, st transition) {
	now := time.Now().UTC().Truncate(time.Second)
	if m.Status != st.Status {
		m.Status = st.Status
		m.DateUpdated = now
	}
	if st.Status == StatusSent && m.DateSent.IsZero() {
		m.DateSent = now
	}
	m.ErrorCode, m.ErrorMessage = st.ErrorCode, st.ErrorMessage
}

// sendStatusCallback posts the fields Twilio sends with a message status
// callback. The outcome is only logged: Twilio does not retry these.
func (e *Emulator) sendStatusCallback(ctx context.Context, m Message) {
	form := url.Values{
		"MessageSid":    {m.Sid},
		"SmsSid":        {m.Sid},
		"AccountSid":    {m.AccountSid},
		"To":            {m.To},
		"MessageStatus": {m.Status},
		"SmsStatus":     {m.Status},
		"ApiVersion":    {apiVersion},
	}
	if m.From != "" {
		form.Set("From", m.From)
	}
	if m.MessagingServiceSid != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSid)
	}
	if m.ErrorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(m.ErrorCode))
	}
	status, err := e.postSigned(ctx, m.StatusCallback, form)
	log := e.log.With("message_sid", m.Sid, "status", m.Status, "url", m.StatusCallback)
	switch {
	case err != nil:
		log.Warn("status callback failed", "error", err)
	case status >= 300:
		log.Warn("status callback rejected", "http_status", status)
	default:
		log.Debug("status callback delivered", "http_status", status)
	}
}

// postSigned POSTs form to target signed like Twilio, returning the
// response status. The response body is drained so connections are reused.
func (e *Emulator) postSigned(ctx context.Context, target string, form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("twilioemu: build request to %s: %w", target, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("X-Twilio-Signature", Sign(e.cfg.AuthToken, target, form))
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("twilioemu: post to %s: %w", target, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// sleep waits d or until ctx is done; false means stop.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
