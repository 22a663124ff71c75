package sms

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// redirectClient is a client.BaseClient that sends every request to a fixed
// base URL. It embeds the stock client so credentials, timeouts, error
// decoding and the rest of the interface behave exactly as in production.
type redirectClient struct {
	client.BaseClient
	base *url.URL
	err  error // invalid BaseURL; reported on every request
}

func newRedirectClient(inner client.BaseClient, baseURL string) *redirectClient {
	c := &redirectClient{BaseClient: inner}
	u, err := url.Parse(baseURL)
	switch {
	case err != nil:
		c.err = fmt.Errorf("sms: invalid BaseURL %q: %w", baseURL, err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		c.err = fmt.Errorf("sms: invalid BaseURL %q: want http(s)://host[:port][/prefix]", baseURL)
	default:
		c.base = u
	}
	return c
}

// SendRequest rewrites scheme, host (and optional path prefix) of rawURL.
// Any Twilio host is rewritten, not only api.twilio.com, so a dev or test
// configuration can never leak requests (and credentials) to real Twilio,
// e.g. when TWILIO_EDGE/TWILIO_REGION make twilio-go change the host.
func (c *redirectClient) SendRequest(method, rawURL string, data url.Values,
	headers map[string]interface{}, body ...byte) (*http.Response, error) {
	if c.err != nil {
		return nil, c.err
	}
	target, err := c.rewrite(rawURL)
	if err != nil {
		return nil, err
	}
	return c.BaseClient.SendRequest(method, target, data, headers, body...)
}

func (c *redirectClient) rewrite(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("sms: bad request URL %q: %w", rawURL, err)
	}
	out := *c.base
	prefix := strings.TrimSuffix(c.base.EscapedPath(), "/")
	// Build via RawPath so escaped path segments (e.g. %2F) survive intact.
	if err := setEscapedPath(&out, prefix+u.EscapedPath()); err != nil {
		return "", err
	}
	out.RawQuery = u.RawQuery
	out.Fragment = ""
	return out.String(), nil
}

func setEscapedPath(u *url.URL, escaped string) error {
	p, err := url.PathUnescape(escaped)
	if err != nil {
		return fmt.Errorf("sms: bad path %q: %w", escaped, err)
	}
	u.Path, u.RawPath = p, escaped
	return nil
}
