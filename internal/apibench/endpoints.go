package apibench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
)

// inputs rotated through by the endpoints that take one (contacts, names, prefixes).
const inputsPerEndpoint = 50

var (
	// Parts of names that many contacts have ("garc" matches Garcia).
	commonFragments = []string{"garc", "nguyen", "smith", "ann", "mart", "lee", "john", "kim", "pat", "rob"}
	// Parts of names that no contact has: the whole name index is looked at, nothing found.
	rareFragments = []string{"zqx", "qwv", "xjk", "vvq", "jjz"}
)

// buildEndpoints lists the requests to time. Cursors for deep pages are found by
// following next_cursor from the first page, as a client would.
func buildEndpoints(ctx context.Context, c *client, d *dataset, seed uint64) ([]*endpoint, error) {
	rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
	agent, light, admin := d.agentToken, d.lightToken, d.adminToken
	var eps []*endpoint
	add := func(group, name, as, token string, paths ...string) *endpoint {
		e := &endpoint{group: group, name: name, as: as, token: token, paths: paths, display: paths[0]}
		if len(paths) > 1 {
			e.display += " …"
		}
		eps = append(eps, e)
		return e
	}
	page := func(group, name, path string, n int) error {
		p, err := c.pagePath(ctx, agent, path, n)
		if err != nil && !errors.Is(err, errNoSuchPage) {
			return fmt.Errorf("%s: %w", name, err)
		}
		e := add(group, name, "agent", agent, path)
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		e.display = fmt.Sprintf("%s%scursor=<page %d>", path, sep, n)
		if err != nil {
			e.todo = err.Error() // a small run
		} else {
			e.paths = []string{p}
		}
		return nil
	}

	add("baseline", "health check (no auth, no SQL)", "–", "", "/healthz")

	const inbox = "inbox"
	add(inbox, "all conversations, page 1", "agent", agent, "/v1/conversations")
	if err := page(inbox, "all conversations, page 50", "/v1/conversations", 50); err != nil {
		return nil, err
	}
	if err := page(inbox, "all conversations, page 200", "/v1/conversations", 200); err != nil {
		return nil, err
	}
	add(inbox, "all conversations, limit=200", "agent", agent, "/v1/conversations?limit=200")
	add(inbox, "inbox new", "agent", agent, "/v1/conversations?inbox=new")
	add(inbox, "inbox missed", "agent", agent, "/v1/conversations?inbox=missed")
	add(inbox, fmt.Sprintf("inbox mine (agent on %d)", d.agentMine), "agent", agent, "/v1/conversations?inbox=mine")
	add(inbox, "inbox mine (agent on 3)", "light agent", light, "/v1/conversations?inbox=mine")
	add(inbox, "inbox team, page 1", "agent", agent, "/v1/conversations?inbox=team")
	if err := page(inbox, "inbox team, page 50", "/v1/conversations?inbox=team", 50); err != nil {
		return nil, err
	}
	add(inbox, "inbox other", "agent", agent, "/v1/conversations?inbox=other")
	add(inbox, "inbox archived, page 1", "agent", agent, "/v1/conversations?inbox=archived")
	if err := page(inbox, "inbox archived, page 50", "/v1/conversations?inbox=archived", 50); err != nil {
		return nil, err
	}
	if err := page(inbox, "inbox archived, page 200", "/v1/conversations?inbox=archived", 200); err != nil {
		return nil, err
	}
	// Issue 11: every inbox's count per team, for the badge a console shows.
	add(inbox, "inbox counts", "agent", agent, "/v1/me/inbox-counts")

	// Inputs from the contacts the agent sees (a conversation in Support or Billing).
	pick := func(ok func(contactRow) bool) []contactRow {
		var out []contactRow
		for _, i := range rng.Perm(len(d.visible)) {
			if c := d.contacts[d.visible[i]]; ok(c) {
				out = append(out, c)
				if len(out) == inputsPerEndpoint {
					break
				}
			}
		}
		return out
	}
	q := func(v string) string { return "/v1/contacts?q=" + url.QueryEscape(v) }
	var prefixes, nationals, refs, commons, rares, histories, details []string
	for _, ac := range areaCodes {
		prefixes = append(prefixes, q("+1"+ac+fmt.Sprint(2+rng.IntN(8))))
	}
	for _, c := range pick(func(c contactRow) bool { return c.national != "" }) {
		nationals = append(nationals, q(c.national))
	}
	for _, c := range pick(func(c contactRow) bool { return c.ref != "" }) {
		refs = append(refs, q(c.ref))
	}
	for _, f := range commonFragments {
		commons = append(commons, q(f))
	}
	for _, f := range rareFragments {
		rares = append(rares, q(f))
	}
	// History: a quarter of the requests are for the contacts with many conversations.
	for i, c := range pick(func(contactRow) bool { return true }) {
		if i%4 == 0 && len(d.heavy) > 0 {
			c = d.contacts[d.heavy[(i/4)%len(d.heavy)]]
		}
		histories = append(histories, "/v1/contacts/"+c.id.String()+"/history")
		details = append(details, "/v1/contacts/"+c.id.String())
	}
	const contacts = "contacts"
	add(contacts, "q: phone prefix", "agent", agent, prefixes...)
	add(contacts, "q: national number", "agent", agent, nationals...)
	add(contacts, "q: ref", "agent", agent, refs...)
	add(contacts, "q: name fragment", "agent", agent, commons...)
	add(contacts, "q: name, no match", "agent", agent, rares...)
	add(contacts, "q: name fragment (admin)", "admin", admin, commons...)
	add(contacts, "q: phone prefix (admin)", "admin", admin, prefixes...)
	add(contacts, "all contacts, page 1", "agent", agent, "/v1/contacts")
	add(contacts, "contact detail", "agent", agent, details...)
	add(contacts, "contact history", "agent", agent, histories...)

	// GET /v1/search (issue #4): conversations of the last 90 days by the customer's
	// number, its first digits, ref or part of the name. Measured once the router has it.
	var sPhones, sPrefixes, sRefs, sNames []string
	for _, c := range pick(func(c contactRow) bool { return c.ref != "" && c.name != "" }) {
		sPhones = append(sPhones, "/v1/search?phone="+url.QueryEscape(c.phone))
		sRefs = append(sRefs, "/v1/search?ref="+url.QueryEscape(c.ref))
		first, _, _ := strings.Cut(c.name, " ")
		sNames = append(sNames, "/v1/search?name="+url.QueryEscape(strings.ToLower(first)))
	}
	for _, p := range prefixes {
		sPrefixes = append(sPrefixes, strings.Replace(p, "/v1/contacts?q=", "/v1/search?phone=", 1))
	}
	present, err := c.routeExists(ctx, agent, sPhones[0])
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name  string
		paths []string
	}{
		{"search: phone number", sPhones},
		{"search: phone prefix", sPrefixes},
		{"search: ref", sRefs},
		{"search: first name", sNames},
	} {
		e := add("search", s.name, "agent", agent, s.paths...)
		if !present {
			e.todo = "TODO: GET /v1/search is not in the router yet"
		}
	}
	return eps, nil
}

// routeExists reports whether the router has path's route (it answers something other
// than its "no such endpoint" 404).
func (c *client) routeExists(ctx context.Context, token, path string) (bool, error) {
	r, _, err := c.get(ctx, token, path)
	if err != nil {
		return false, err
	}
	return !(r.status == http.StatusNotFound && strings.Contains(string(r.body), "no such endpoint")), nil
}
