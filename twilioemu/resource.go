package twilioemu

import (
	"net/url"
	"strconv"
	"time"
)

const (
	apiVersion = "2010-04-01"
	// Twilio renders timestamps as RFC 2822 in GMT: "Mon, 02 Jan 2006 15:04:05 +0000".
	twilioTimeLayout = time.RFC1123Z
)

// messageResource is the JSON Twilio returns for a Message. Every field
// twilio-go's ApiV2010Message parses is present with the same JSON type:
// counts are strings, error_code is a number, nullable fields are pointers.
type messageResource struct {
	AccountSid          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSid *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	Sid                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

func messagesPath(accountSid string) string {
	return "/" + apiVersion + "/Accounts/" + accountSid + "/Messages"
}

func formatTime(t time.Time) string { return t.UTC().Format(twilioTimeLayout) }

func newMessageResource(m Message) messageResource {
	self := messagesPath(m.AccountSid) + "/" + m.Sid
	r := messageResource{
		AccountSid:          m.AccountSid,
		APIVersion:          apiVersion,
		Body:                m.Body,
		DateCreated:         formatTime(m.DateCreated),
		DateUpdated:         formatTime(m.DateUpdated),
		Direction:           m.Direction,
		From:                nullable(m.From),
		MessagingServiceSid: nullable(m.MessagingServiceSid),
		NumMedia:            strconv.Itoa(len(m.MediaURLs)),
		NumSegments:         strconv.Itoa(m.NumSegments),
		PriceUnit:           "USD",
		Sid:                 m.Sid,
		Status:              m.Status,
		SubresourceURIs:     map[string]string{"media": self + "/Media.json"},
		To:                  m.To,
		URI:                 self + ".json",
	}
	// Like Twilio, date_sent stays null until the message is sent.
	if !m.DateSent.IsZero() {
		s := formatTime(m.DateSent)
		r.DateSent = &s
	}
	if m.ErrorCode != 0 {
		code := m.ErrorCode
		r.ErrorCode = &code
		r.ErrorMessage = nullable(m.ErrorMessage)
	}
	return r
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// messageList is the paging envelope twilio-go's ListMessageResponse
// decodes. next_page_uri is relative to https://api.twilio.com; twilio-go
// prefixes it with its base URL and fetches it verbatim.
type messageList struct {
	Messages        []messageResource `json:"messages"`
	End             int               `json:"end"`
	FirstPageURI    string            `json:"first_page_uri"`
	NextPageURI     *string           `json:"next_page_uri"`
	Page            int               `json:"page"`
	PageSize        int               `json:"page_size"`
	PreviousPageURI *string           `json:"previous_page_uri"`
	Start           int               `json:"start"`
	URI             string            `json:"uri"`
}

func pageURI(accountSid string, q url.Values) string {
	return messagesPath(accountSid) + ".json?" + q.Encode()
}
