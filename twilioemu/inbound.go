package twilioemu

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strconv"
	"sync"
	"time"
)

// Inbound is an SMS/MMS "sent by a phone" to one of the account's numbers.
type Inbound struct {
	From, To, Body string
	// MessagingServiceSid is set when To is a number of a Messaging Service's sender
	// pool; Twilio then adds it to the webhook.
	MessagingServiceSid string
	MediaURLs           []string
	// MediaContentTypes parallels MediaURLs; missing entries are guessed
	// from the URL's extension.
	MediaContentTypes []string
}

// ErrInvalidInbound means SimulateInbound sent nothing: the Inbound is
// incomplete or Config.WebhookURL is not set.
var ErrInvalidInbound = errors.New("twilioemu: invalid inbound message")

// SimulateInbound posts Twilio's incoming-message webhook for in to
// Config.WebhookURL, signed as Twilio signs it, and returns the new
// message SID and the webhook's HTTP status. The message is recorded
// first, so the product can fetch it while handling the webhook.
// Errors wrapping ErrInvalidInbound come with an empty SID; any other
// error is a failed webhook delivery of a recorded message.
//
// With Faults.DuplicateInbound, the same signed webhook is posted several
// times concurrently; status is then the first non-2xx status among them
// (else the first one's), and err the first delivery error.
func (e *Emulator) SimulateInbound(ctx context.Context, in Inbound) (messageSid string, status int, err error) {
	switch {
	case e.cfg.WebhookURL == "":
		return "", 0, fmt.Errorf("%w: Config.WebhookURL is not set", ErrInvalidInbound)
	case in.From == "" || in.To == "":
		return "", 0, fmt.Errorf("%w: from and to are required", ErrInvalidInbound)
	case in.Body == "" && len(in.MediaURLs) == 0:
		return "", 0, fmt.Errorf("%w: body or media is required", ErrInvalidInbound)
	}
	received := time.Now().UTC()
	now := received.Truncate(time.Second)
	m := Message{
		Sid:                 newSid("SM"),
		AccountSid:          e.cfg.AccountSID,
		From:                in.From,
		To:                  in.To,
		MessagingServiceSid: in.MessagingServiceSid,
		Body:                in.Body,
		MediaURLs:           in.MediaURLs,
		Status:              StatusReceived,
		Direction:           DirectionInbound,
		NumSegments:         countSegments(in.Body),
		DateCreated:         now,
		DateUpdated:         now,
		DateSent:            now,
		ReceivedAt:          received,
	}
	e.store.add(m)

	form := inboundForm(m, in.MediaContentTypes)
	copies := e.faults.inboundCopies()
	statuses, errs := make([]int, copies), make([]error, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() { statuses[i], errs[i] = e.postSigned(ctx, e.cfg.WebhookURL, form) })
	}
	wg.Wait()
	status = statuses[0]
	for i := range copies {
		if err == nil && errs[i] != nil {
			err = errs[i]
		}
		if errs[i] == nil && (statuses[i] < 200 || statuses[i] > 299) && status >= 200 && status <= 299 {
			status = statuses[i]
		}
	}
	log := e.log.With("message_sid", m.Sid, "from", m.From, "to", m.To, "copies", copies)
	if err != nil {
		log.Warn("inbound webhook failed", "error", err)
	} else {
		log.Info("inbound webhook delivered", "http_status", status)
	}
	return m.Sid, status, err
}

// inboundForm is the form Twilio posts for an incoming message.
func inboundForm(m Message, contentTypes []string) url.Values {
	form := url.Values{
		"MessageSid":    {m.Sid},
		"SmsSid":        {m.Sid},
		"SmsMessageSid": {m.Sid},
		"AccountSid":    {m.AccountSid},
		"From":          {m.From},
		"To":            {m.To},
		"Body":          {m.Body},
		"NumMedia":      {strconv.Itoa(len(m.MediaURLs))},
		"NumSegments":   {strconv.Itoa(m.NumSegments)},
		"SmsStatus":     {StatusReceived},
		"ApiVersion":    {apiVersion},
	}
	if m.MessagingServiceSid != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSid)
	}
	for i, u := range m.MediaURLs {
		ct := ""
		if i < len(contentTypes) {
			ct = contentTypes[i]
		}
		if ct == "" {
			ct = guessContentType(u)
		}
		n := strconv.Itoa(i)
		form.Set("MediaUrl"+n, u)
		form.Set("MediaContentType"+n, ct)
	}
	return form
}

func guessContentType(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if ct := mime.TypeByExtension(path.Ext(u.Path)); ct != "" {
			return ct
		}
	}
	return "application/octet-stream"
}
