package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/client"
	"go.opentelemetry.io/otel/attribute"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/phone"
	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// maxWebhookBody bounds what we read from Twilio; real webhooks are a few KB.
const maxWebhookBody = 64 << 10

// maxWebhookParams bounds a form webhook's parameters (Twilio sends a few dozen): the
// signature check's cost grows with their square, so a forged request may not be huge.
const maxWebhookParams = 500

// maxMedia is the most media Twilio attaches to one MMS.
const maxMedia = 10

// emptyTwiML tells Twilio we received the message and have nothing to reply inline.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// WebhookOptions are the webhook settings beyond the Server's PublicURL and
// TwilioAuthToken.
type WebhookOptions struct {
	// SecondaryAuthToken is accepted besides TwilioAuthToken, so the token can be
	// rotated without refusing a webhook: Twilio signs with whichever token is primary
	// in the account, and requests in flight at the switch carry the old one.
	SecondaryAuthToken string
	// TrustedProxy: the API runs behind a reverse proxy that sets (overwrites)
	// X-Forwarded-Proto and X-Forwarded-Host, so the URL Twilio called may also be read
	// from them. Off by default: a client could otherwise pick the URL it signed for.
	TrustedProxy bool
}

// Why a webhook is refused (the reason label of textdesk_webhooks_refused_total).
const (
	refusedUnreadable    = "unreadable_body"    // 400: too large, or not a form / JSON object
	refusedNoSignature   = "missing_signature"  // 403
	refusedBadSignature  = "bad_signature"      // 403: no token and URL reproduce it
	refusedBodyHash      = "body_hash_mismatch" // 403: URL signed, but bodySHA256 is not the body's
	refusedNoBodyHash    = "missing_body_hash"  // 403: a JSON body without bodySHA256
	refusedUnparseableJS = "json_not_object"    // 400: signed JSON that is not an object
)

// signer is one auth token that may have signed a webhook.
type signer struct {
	name string // "primary" or "secondary"
	v    client.RequestValidator
}

// requireTwilioSignature refuses (403) any webhook whose X-Twilio-Signature was not made
// with one of our auth tokens over the URL Twilio called and the request's parameters,
// so nobody but Twilio can post messages. It handles every form Twilio sends:
//
//   - form bodies: the signature covers the URL and every POST parameter (repeated
//     names included);
//   - JSON bodies: the URL carries bodySHA256, the signature covers the URL, and the
//     body must hash to bodySHA256 (twilio-go's ValidateBody); the JSON object's fields
//     then stand in for form parameters;
//   - the URL is PUBLIC_URL plus the request's path and query (a reverse proxy may
//     strip a path prefix of PUBLIC_URL), or, with TrustedProxy, the scheme and host
//     from X-Forwarded-Proto/Host; Twilio's port variants are accepted;
//   - the primary or the secondary auth token.
//
// The check depends on nothing in the message: a number in a Messaging Service's
// pool is verified like any other. Refusals are logged with their reason and counted
// in textdesk_webhooks_refused_total.
func (s *Server) requireTwilioSignature(primary client.RequestValidator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			opts := s.Webhooks
			signers := []signer{{"primary", primary}}
			if opts.SecondaryAuthToken != "" {
				signers = append(signers, signer{"secondary", client.NewRequestValidator(opts.SecondaryAuthToken)})
			}
			urls := s.webhookURLs(r, opts)
			log := loggerFrom(r).With("url", urls[0], "path", r.URL.Path)

			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
			if err != nil {
				webhooksRefused.inc(refusedUnreadable)
				log.Warn("webhook refused: unreadable body", "reason", refusedUnreadable, "error", err)
				writeError(w, r, conversation.Errorf(conversation.EInvalid, "webhook body could not be read (at most %d bytes): %v", maxWebhookBody, err))
				return
			}
			form, token, reason, err := verifyWebhook(r.Header, r.URL.Query(), body, urls, signers)
			if reason != "" {
				webhooksRefused.inc(reason)
				log.Warn("webhook refused", "reason", reason, "signed", r.Header.Get("X-Twilio-Signature") != "", "error", err)
				if reason == refusedUnreadable || reason == refusedUnparseableJS {
					writeError(w, r, conversation.Errorf(conversation.EInvalid, "webhook body is not valid: %v", err))
					return
				}
				writeError(w, r, conversation.Errorf(conversation.EForbidden, "X-Twilio-Signature is missing or does not match (%s)", strings.ReplaceAll(reason, "_", " ")))
				return
			}
			webhooksVerified.inc(token)
			if token != "primary" {
				log.Info("webhook signed with the secondary auth token; promote it, then drop TWILIO_AUTH_TOKEN_SECONDARY once none arrive")
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.PostForm, r.Form = form, form
			next.ServeHTTP(w, r)
		})
	}
}

// webhookURLs lists the URLs Twilio may have signed for r: PUBLIC_URL's, and with a
// trusted proxy the one X-Forwarded-Proto/Host name.
func (s *Server) webhookURLs(r *http.Request, o WebhookOptions) []string {
	urls := []string{s.PublicURL + r.URL.RequestURI()}
	if !o.TrustedProxy {
		return urls
	}
	proto, host := lastValue(r.Header.Values("X-Forwarded-Proto")), lastValue(r.Header.Values("X-Forwarded-Host"))
	if proto == "" && host == "" {
		return urls
	}
	pub, err := url.Parse(s.PublicURL)
	if err != nil {
		return urls
	}
	if proto == "" {
		proto = pub.Scheme
	}
	if host == "" {
		host = pub.Host
	}
	if forwarded := proto + "://" + host + strings.TrimRight(pub.EscapedPath(), "/") + r.URL.RequestURI(); forwarded != urls[0] {
		urls = append(urls, forwarded)
	}
	return urls
}

// lastValue is the last of a header's comma-separated values, over all its lines: the
// one the trusted proxy appended. Earlier values come from the client (or proxies in
// front of ours) and may be forged.
func lastValue(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	l := lines[len(lines)-1]
	return strings.TrimSpace(l[strings.LastIndex(l, ",")+1:])
}

// verifyWebhook checks a webhook's signature against every URL and signer. It returns
// the webhook's parameters and which signer matched, or why it refused (and an error
// detailing a body it could not read).
func verifyWebhook(h http.Header, query url.Values, body []byte, urls []string, signers []signer) (form url.Values, token, refusal string, err error) {
	sig := h.Get("X-Twilio-Signature")
	mediaType, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	isJSON := strings.EqualFold(strings.TrimSpace(mediaType), "application/json")
	if query.Has("bodySHA256") || isJSON {
		if !query.Has("bodySHA256") {
			return nil, "", refusedNoBodyHash, nil
		}
		if sig == "" {
			return nil, "", refusedNoSignature, nil
		}
		urlSigned := false
		for _, s := range signers {
			for _, u := range urls {
				if s.v.ValidateBody(u, body, sig) {
					form, err := jsonForm(body)
					if err != nil {
						return nil, "", refusedUnparseableJS, err
					}
					return form, s.name, "", nil
				}
				urlSigned = urlSigned || s.v.Validate(u, map[string]string{}, sig)
			}
		}
		if urlSigned {
			return nil, "", refusedBodyHash, nil
		}
		return nil, "", refusedBadSignature, nil
	}
	form, err = url.ParseQuery(string(body))
	if err != nil {
		return nil, "", refusedUnreadable, fmt.Errorf("not a form: %w", err)
	}
	if n := strings.Count(string(body), "&") + 1; n > maxWebhookParams {
		return nil, "", refusedUnreadable, fmt.Errorf("%d parameters; at most %d", n, maxWebhookParams)
	}
	if sig == "" {
		return nil, "", refusedNoSignature, nil
	}
	variants := []map[string]string{signedParams(form, true)}
	if repeated(form) {
		variants = append(variants, signedParams(form, false))
	}
	for _, s := range signers {
		for _, u := range urls {
			for _, params := range variants {
				if s.v.Validate(u, params, sig) {
					return form, s.name, "", nil
				}
			}
		}
	}
	return nil, "", refusedBadSignature, nil
}

// signedParams folds a form into the one-value-per-name map twilio-go's validator
// signs as name+value in name order. A repeated name is signed by Twilio as name+value
// for each value in sorted order (its reference validators differ on dropping
// duplicate values, hence dedupe), which is the same string as name+(v1+name+v2+...).
func signedParams(form url.Values, dedupe bool) map[string]string {
	out := make(map[string]string, len(form))
	for k, vs := range form {
		vals := slices.Clone(vs)
		slices.Sort(vals)
		if dedupe {
			vals = slices.Compact(vals)
		}
		out[k] = strings.Join(vals, k)
	}
	return out
}

func repeated(form url.Values) bool {
	for _, vs := range form {
		if len(vs) > 1 {
			return true
		}
	}
	return false
}

// jsonForm turns a JSON webhook body (an object) into parameters: strings, numbers and
// booleans as written, null as "", arrays as repeated values, nested objects as JSON.
func jsonForm(body []byte) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if obj == nil {
		return nil, errors.New("not a JSON object: null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a JSON object: data after the object")
	}
	form := url.Values{}
	var add func(k string, v any, top bool)
	add = func(k string, v any, top bool) {
		switch v := v.(type) {
		case string:
			form.Add(k, v)
		case json.Number:
			form.Add(k, v.String())
		case bool:
			form.Add(k, strconv.FormatBool(v))
		case nil:
			form.Add(k, "")
		case []any:
			if top {
				for _, e := range v {
					add(k, e, false)
				}
				return
			}
			b, _ := json.Marshal(v)
			form.Add(k, string(b))
		default:
			b, _ := json.Marshal(v)
			form.Add(k, string(b))
		}
	}
	for k, v := range obj {
		add(k, v, true)
	}
	return form, nil
}

// inboundMessage receives a customer's SMS or MMS: it finds the team (by the number
// texted, or by the Messaging Service whose pool it belongs to) and the contact, keeps
// the media, opens (or finds) the conversation and hands the message to its workflow.
// The workflow stores it.
func (s *Server) inboundMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := r.PostForm
	sid := f.Get("MessageSid")
	if sid == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "MessageSid is required"))
		return
	}
	annotate(r, attribute.String("twilio.message_sid", sid))
	to, err := ourNumber(f.Get("To"))
	if err != nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "To: %s", err))
		return
	}
	team, err := s.teamFor(r, to, f.Get("MessagingServiceSid"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	from, err := inboundSender(f.Get("From"), team.DefaultRegion)
	if err != nil {
		loggerFrom(r).Warn("inbound message refused: no From", "message_sid", sid, "error", err)
		writeError(w, r, err)
		return
	}
	// A retry or replay of a message already stored is acknowledged and goes no further:
	// after its conversation closed it would open a new, empty one.
	if stored, err := s.Store.InboundStored(ctx, sid); err != nil || stored {
		if err != nil {
			writeError(w, r, err)
			return
		}
		loggerFrom(r).Info("inbound message already stored; webhook retry ignored", "message_sid", sid)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(emptyTwiML))
		return
	}
	media, err := parseMedia(f)
	if err != nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "%s", err))
		return
	}
	if err := s.Store.SaveInboundMedia(ctx, sid, media); err != nil {
		writeError(w, r, err)
		return
	}
	contact, err := s.Store.EnsureContact(ctx, from)
	if err != nil {
		writeError(w, r, err)
		return
	}
	segments, _ := strconv.Atoi(f.Get("NumSegments"))
	sig := workflows.InboundSignal{
		MessageSid:  sid,
		From:        from,
		To:          to,
		Body:        f.Get("Body"),
		NumSegments: segments,
		ReceivedAt:  s.Now().UTC(),
	}

	// A blocked contact's text, or one past the number's intake limit, is stored and
	// parked rather than handed to a workflow (dispatch/intake.go).
	parked, err := s.Dispatch.Receive(ctx, team, contact, sig)
	if err != nil {
		loggerFrom(r).Error("inbound message not handed to workflow", "message_sid", sid, "error", err)
		writeError(w, r, err)
		return
	}
	if parked != "" {
		loggerFrom(r).Info("inbound message parked", "message_sid", sid, "reason", parked)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(emptyTwiML))
}

// inboundSender reads an inbound message's From: a phone number in E.164 (normalised,
// read in region; or as Twilio wrote it in E.164 though the metadata does not know the
// range), else the sender as Twilio gave it (a short code's digits, an alphanumeric
// sender id), cut to what a contact's address may hold, so its text is stored and
// shown rather than refused and lost. Only a From with nothing usable is refused.
func inboundSender(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if n, _, err := phone.Normalize(raw, region); err == nil {
		return n, nil
	}
	if e164.MatchString(raw) {
		return raw, nil
	}
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" ._-", r) {
			return r
		}
		return -1
	}, raw)
	id = strings.TrimLeft(id, " ._-")
	if len(id) > maxSenderID {
		id = strings.TrimRight(id[:maxSenderID], " ")
	}
	if id == "" {
		return "", conversation.Errorf(conversation.EInvalid, "From %q names no sender (a phone number, short code or sender id)", raw)
	}
	return id, nil
}

// maxSenderID is the longest sender id kept (contacts_phone_check).
const maxSenderID = 32

// teamFor finds the team a message to number belongs to: the team that owns the
// number, else the team of the Messaging Service whose sender pool it is in (the number
// then joins that team, so replies and redeliveries find it too).
func (s *Server) teamFor(r *http.Request, number, serviceSid string) (store.Team, error) {
	ctx := r.Context()
	team, err := s.Store.TeamByNumber(ctx, number)
	if err == nil && serviceSid != "" {
		// Twilio says the number is in the service's pool: its sends carry the service
		// from now on, if the team linked it. Not worth failing the message over.
		if err := s.Store.NoteServiceNumber(ctx, team.ID, number, serviceSid); err != nil {
			loggerFrom(r).Warn("number's messaging service not recorded", "error", err, "messaging_service_sid", serviceSid, "team_id", team.ID)
		}
	}
	if conversation.ErrorCode(err) != conversation.ENotFound {
		return team, err
	}
	if serviceSid != "" {
		team, err = s.Store.TeamByMessagingService(ctx, serviceSid)
		if err == nil {
			if err := s.Store.AddServiceNumber(ctx, team.ID, number, serviceSid); err != nil {
				return store.Team{}, err
			}
			loggerFrom(r).Info("number of a messaging service joined its team", "number", number, "messaging_service_sid", serviceSid, "team_id", team.ID)
			return s.Store.TeamByNumber(ctx, number)
		}
		if conversation.ErrorCode(err) != conversation.ENotFound {
			return store.Team{}, err
		}
		return store.Team{}, conversation.Errorf(conversation.ENotFound,
			"%s is not a number of any textdesk team, and messaging service %s belongs to none; add one to a team", number, serviceSid)
	}
	return store.Team{}, conversation.Errorf(conversation.ENotFound, "%s is not a number of any textdesk team; add it to a team", number)
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ourNumber reads the number Twilio delivered to: one of the account's own numbers,
// which Twilio writes in E.164. It is taken as written even if the phone-number
// metadata does not know it yet (a new range), so a real number is never refused here;
// the team lookup decides.
func ourNumber(raw string) (string, error) {
	if e164.MatchString(raw) {
		return raw, nil
	}
	n, _, err := phone.Normalize(raw, phone.DefaultRegion)
	return n, err
}

// parseMedia reads an MMS's NumMedia, MediaUrl{N} and MediaContentType{N}.
func parseMedia(f url.Values) ([]store.Media, error) {
	raw := f.Get("NumMedia")
	if raw == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > maxMedia {
		return nil, fmt.Errorf("NumMedia %q: want 0 to %d", raw, maxMedia)
	}
	media := make([]store.Media, 0, n)
	for i := range n {
		u := f.Get("MediaUrl" + strconv.Itoa(i))
		if u == "" {
			return nil, fmt.Errorf("NumMedia is %d but MediaUrl%d is missing", n, i)
		}
		media = append(media, store.Media{URL: u, ContentType: f.Get("MediaContentType" + strconv.Itoa(i))})
	}
	return media, nil
}

// statusCallback records Twilio's delivery reports. Statuses only move forward; an
// error code is stored with a readable reason. The callback URL carries the message's
// id (mid), which attaches the SID to a message whose send stored none yet.
func (s *Server) statusCallback(w http.ResponseWriter, r *http.Request) {
	sid, status := r.PostForm.Get("MessageSid"), r.PostForm.Get("MessageStatus")
	annotateStatusCallback(r, sid, status)
	if sid == "" || status == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "MessageSid and MessageStatus are required"))
		return
	}
	if !knownStatus[status] {
		// Twilio adds statuses over time ("read", "accepted", ...); acknowledge them so it
		// does not retry, but record nothing we do not understand.
		loggerFrom(r).Info("status callback with unhandled status", "message_sid", sid, "status", status)
		statusCallbacks.inc("unhandled_status")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	code, _ := strconv.Atoi(r.PostForm.Get("ErrorCode"))
	out, err := s.Store.ApplyStatus(r.Context(), store.StatusUpdate{
		SID: sid, Status: status, MessageID: r.URL.Query().Get("mid"),
		ErrorCode: code, ErrorMessage: errorReason(code, r.PostForm.Get("ErrorMessage")),
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	switch {
	case !out.Found:
		// Answer 2xx anyway: an unknown SID will never become known, and a 4xx/5xx would
		// make Twilio retry forever.
		loggerFrom(r).Warn("status callback for unknown message", "message_sid", sid, "status", status)
		statusCallbacks.inc("unknown_message")
	case out.Changed:
		statusCallbacks.inc("applied")
	default:
		statusCallbacks.inc("stale")
	}
	if out.Found && code == sms.CodeUnsubscribed && out.To != "" {
		// As of the message's time, not now: a replayed report of an old message must
		// not undo the START the customer sent since.
		if _, err := s.Store.SenderOptOut(r.Context(), out.To, out.From, out.CreatedAt); err != nil {
			writeError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// errorReason is what the agent reads about a failed delivery: Twilio's message, else
// what textdesk knows about the code.
func errorReason(code int, message string) string {
	if code == 0 {
		return message
	}
	if message == "" {
		message = sms.Reason(code)
	}
	if message == "" {
		return fmt.Sprintf("Twilio error %d", code)
	}
	return fmt.Sprintf("%s (Twilio error %d)", message, code)
}

var knownStatus = map[string]bool{
	"queued": true, "sending": true, "sent": true, "delivered": true, "undelivered": true, "failed": true,
}

// normalizePhone parses a number (E.164, or national in region) to E.164, refusing
// invalid numbers with a reason (see phone.Normalize).
func normalizePhone(raw, region string) (string, error) {
	n, _, err := phone.Normalize(raw, region)
	return n, err
}
