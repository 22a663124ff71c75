package twilioemu

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// Twilio's limits on outbound message content.
const (
	maxBodyChars = 1600
	maxMedia     = 10
)

// createMessage handles POST Messages.json as twilio-go sends it.
func (e *Emulator) createMessage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, errorf(http.StatusBadRequest, codeInvalidParam, "Invalid form body: %v", err))
		return
	}
	m, apiErr := e.messageFromForm(r.PostForm)
	if apiErr == nil {
		apiErr = e.faults.onCreate(m)
	}
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	e.store.add(m)
	e.startLifecycle(m)
	writeJSON(w, http.StatusCreated, newMessageResource(m))
}

// messageFromForm validates a create request like Twilio and builds the
// queued message.
func (e *Emulator) messageFromForm(f url.Values) (Message, *apiError) {
	to, from, mss := f.Get("To"), f.Get("From"), f.Get("MessagingServiceSid")
	body, media, callback := f.Get("Body"), f["MediaUrl"], f.Get("StatusCallback")
	bad := func(code int, format string, args ...any) (Message, *apiError) {
		return Message{}, errorf(http.StatusBadRequest, code, format, args...)
	}
	switch {
	case to == "":
		return bad(codeToRequired, "A 'To' phone number is required.")
	case body == "" && len(media) == 0:
		return bad(codeBodyRequired, "Message body is required.")
	case from == "" && mss == "":
		return bad(codeFromRequired, "A 'From' phone number is required.")
	case !e164.MatchString(to):
		return bad(codeInvalidTo, "The 'To' number %s is not a valid phone number.", to)
	case utf8.RuneCountInString(body) > maxBodyChars:
		return bad(codeBodyTooLong, "The concatenated message body exceeds the %d character limit.", maxBodyChars)
	case len(media) > maxMedia:
		return bad(codeTooManyMedia, "The number of media files (%d) exceeds the limit of %d.", len(media), maxMedia)
	}
	for _, u := range media {
		if !isHTTPURL(u) {
			return bad(codeBadMediaURL, "Media URL %s is invalid.", u)
		}
	}
	if callback != "" && !isHTTPURL(callback) {
		return bad(codeBadCallbackURL, "The StatusCallback URL %s is not a valid URL.", callback)
	}
	validity := 0
	if v := f.Get("ValidityPeriod"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36000 {
			return bad(codeInvalidParam, "ValidityPeriod must be an integer between 1 and 36000, got %q.", v)
		}
		validity = n
	}
	if from == "" {
		// Sent through a Messaging Service alone: Twilio picks a sender of its pool.
		// The emulator knows a pool by the numbers inbound messages reached through
		// it; a service it has seen none of sends from no number it can name.
		from = e.store.poolNumber(mss)
	}
	received := time.Now().UTC()
	now := received.Truncate(time.Second)
	return Message{
		Sid:                 newSid("SM"),
		AccountSid:          e.cfg.AccountSID,
		From:                from,
		To:                  to,
		MessagingServiceSid: mss,
		Body:                body,
		MediaURLs:           media,
		Status:              StatusQueued,
		Direction:           DirectionOutbound,
		NumSegments:         countSegments(body),
		StatusCallback:      callback,
		ValidityPeriod:      validity,
		DateCreated:         now,
		DateUpdated:         now,
		ReceivedAt:          received,
	}, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
