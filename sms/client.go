// Package sms wires the product's twilio-go client so it can talk to real
// Twilio or to a local emulator without the rest of the product knowing.
package sms

import (
	"net/http"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

// DefaultTimeout bounds each Twilio HTTP request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config selects the Twilio endpoint and credentials.
type Config struct {
	// BaseURL replaces https://api.twilio.com (e.g. "http://127.0.0.1:4010").
	// Empty means real Twilio.
	BaseURL    string
	AccountSID string
	AuthToken  string
	// Timeout per HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
}

// NewClient returns a twilio-go RestClient for cfg. With a BaseURL, every
// request keeps its path and query but goes to BaseURL instead of Twilio.
func NewClient(cfg Config) *twilio.RestClient {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	stock := &client.Client{
		Credentials: client.NewCredentials(cfg.AccountSID, cfg.AuthToken),
		HTTPClient: &http.Client{
			Timeout:   timeout,
			Transport: tracedTransport(),
			// Same as twilio-go's default client: hand 3xx back untouched.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
	// twilio-go only learns the account SID from the BaseClient when a
	// custom Client is supplied, so set it here or paths get an empty SID.
	stock.SetAccountSid(cfg.AccountSID)

	var base client.BaseClient = stock
	if cfg.BaseURL != "" {
		base = newRedirectClient(stock, cfg.BaseURL)
	}
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: base})
}
