package apibench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// endpoint is one row of the report: GET requests of one shape, made as one user. With
// several paths the requests take them in turn (different contacts, prefixes, names),
// so that one hot row does not stand for the endpoint.
type endpoint struct {
	group, name string
	// display is the request as the report shows it; as names the caller.
	display, as string
	token       string
	paths       []string
	// todo, when set, means the endpoint was not measured, and why.
	todo string

	samples []time.Duration
	sum     Summary
	// baseSamples: the baseline requests made between this endpoint's requests.
	baseSamples []time.Duration
	baseSum     Summary
	rows        []int
	plans       []plan
}

// client makes the requests: one keep-alive connection, one request at a time.
type client struct {
	base string
	http *http.Client
}

// response is what a request returned: the rows of its first list and its next cursor.
type response struct {
	status int
	rows   int
	next   string
	body   []byte
}

func (c *client) get(ctx context.Context, token, path string) (response, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return response{}, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return response{}, 0, err
	}
	r := response{status: resp.StatusCode, body: body}
	r.rows, r.next = countRows(body)
	return r, took, nil
}

// countRows finds the first top-level array of a JSON object (conversations, contacts,
// results…) and its next_cursor.
func countRows(body []byte) (int, string) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return 0, ""
	}
	var next string
	if raw, ok := obj["next_cursor"]; ok {
		json.Unmarshal(raw, &next)
	}
	for _, key := range []string{"conversations", "contacts", "results", "items"} {
		if raw, ok := obj[key]; ok {
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) == nil {
				return len(list), next
			}
		}
	}
	for _, raw := range obj {
		var list []json.RawMessage
		if len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &list) == nil {
			return len(list), next
		}
	}
	return 0, next
}

// pagePath returns path with the cursor of page `page` (1-based, pages of 50), found
// by following next_cursor from the first page, as a client would. A cursor is a
// position in the list, whatever the page size, so the walk takes pages of 200 (the
// most a request may ask for) and then of 50.
func (c *client) pagePath(ctx context.Context, token, path string, page int) (string, error) {
	const size, big = 50, 200
	skip := (page - 1) * size // rows before the page
	cur, cursor := path, ""
	for skip > 0 {
		step := size
		if skip >= big {
			step = big
		}
		req := withParam(path, "limit", fmt.Sprint(step))
		if cursor != "" {
			req = withParam(req, "cursor", cursor)
		}
		r, _, err := c.get(ctx, token, req)
		if err != nil {
			return "", err
		}
		if r.status != http.StatusOK {
			return "", fmt.Errorf("GET %s: status %d: %s", req, r.status, truncate(string(r.body), 300))
		}
		if r.next == "" {
			return "", fmt.Errorf("%w: the list ends before page %d", errNoSuchPage, page)
		}
		skip -= step
		cursor = r.next
		cur = withParam(path, "cursor", cursor)
	}
	return cur, nil
}

var errNoSuchPage = errors.New("no such page")

func withParam(path, key, value string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + key + "=" + url.QueryEscape(value)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
