package e2e

// make screenshots: a stack with demo data (conversations in every inbox, a thread with
// inbound, outbound, a note and a failed message, an offer, a supervisor board and
// metrics) and a PNG of each main screen of the console, light and dark, written to
// docs/console/. Skipped unless -screenshots names the directory.

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

var screenshotsDir = flag.String("screenshots", "", "write PNGs of the console's main screens, light and dark, to this directory (make screenshots)")

// consoleDemo is the data the screenshots show.
type consoleDemo struct {
	admin, alex, sam, priya agent
	thread                  string // Maria's conversation: inbound, outbound, note, failed
	maria                   string // her contact id
}

const demoPassword = "demo password 2026"

// buildDemo fills the stack with a day's worth of work, through the API as agents do it.
func buildDemo(t *testing.T, s *stack) consoleDemo {
	t.Helper()
	ctx := context.Background()
	s.exec("UPDATE teams SET name = 'Demo Support' WHERE id = $1", s.team.ID)
	s.exec("UPDATE teams SET name = 'Billing' WHERE name = $1", "Other "+t.Name())
	if err := s.store.SetTeamRules(ctx, s.team.ID, store.TeamRules{OfferTimeoutSeconds: 900, WrapUpReasons: []string{"Resolved", "Follow-up needed", "Spam"}}); err != nil {
		t.Fatal(err)
	}
	d := consoleDemo{admin: s.newAdmin("Ada", s.team.ID)}
	// Names and addresses as a real team's (the stack's own users get them too, since the
	// people board lists everyone in the team).
	s.exec("UPDATE users SET name = 'Ada Admin', email = 'ada@demo.textdesk.invalid' WHERE id = $1", d.admin.user.ID)
	d.admin.user.Name, d.admin.user.Email = "Ada Admin", "ada@demo.textdesk.invalid"
	s.exec("UPDATE users SET name = 'Jordan Lee', email = 'jordan@demo.textdesk.invalid' WHERE id = $1", s.agent.ID)
	s.exec("UPDATE users SET name = 'Casey Billing', email = 'casey@demo.textdesk.invalid' WHERE name = 'outsider' AND email LIKE 'outsider-%@e2e.invalid'")
	d.alex = s.newPersonWithEmail("Alex Agent", "alex@demo.textdesk.invalid")
	d.sam = s.newPersonWithEmail("Sam Agent", "sam@demo.textdesk.invalid")
	d.priya = s.newPersonWithEmail("Priya Patel", "priya@demo.textdesk.invalid")
	for _, a := range []agent{d.admin, d.alex, d.sam, d.priya} {
		s.setPassword(d.admin, a.user, demoPassword)
	}

	text := func(from, body string) {
		t.Helper()
		if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: from, To: s.teamPhone, Body: body}); err != nil || code != http.StatusOK {
			t.Fatalf("inbound from %s: %d %v", from, code, err)
		}
	}
	presence := func(a agent, state string) {
		t.Helper()
		s.mustAct(a, "PUT", "/v1/me/presence", map[string]string{"state": state}, http.StatusOK)
	}
	// take makes a the only available agent, lets from text, and accepts the offer.
	take := func(a agent, from, body string) string {
		t.Helper()
		presence(a, "available")
		text(from, body)
		var id string
		eventually(t, a.user.Name+" offered "+from, func() bool {
			for _, o := range s.offersFor(a) {
				if o.CustomerPhone == from {
					id = o.ConversationID
				}
			}
			return id != ""
		})
		s.mustAct(a, "POST", "/v1/conversations/"+id+"/accept", nil, http.StatusOK)
		presence(a, "away")
		return id
	}
	reply := func(a agent, id, body string) {
		t.Helper()
		s.mustAct(a, "POST", "/v1/conversations/"+id+"/messages", map[string]string{"body": body}, http.StatusCreated)
	}
	name := func(a agent, id, who, ref string) string {
		t.Helper()
		var c struct {
			ContactID string `json:"contact_id"`
		}
		s.call("GET", "/v1/conversations/"+id, a.token, nil, &c)
		s.mustAct(a, "PATCH", "/v1/contacts/"+c.ContactID, map[string]string{"name": who, "ref": ref}, http.StatusOK)
		return c.ContactID
	}
	settled := func(phone string, n int) {
		t.Helper()
		eventually(t, fmt.Sprintf("%d messages to %s settled", n, phone), func() bool {
			ms := s.sentTo(phone)
			return len(ms) >= n && !slices.ContainsFunc(ms, func(m twilioemu.Message) bool {
				return m.Status == "queued" || m.Status == "sending" || m.Status == "sent" || m.Status == "accepted"
			})
		})
	}

	// Maria's thread (Alex's, open): every kind of message.
	maria := newPhone()
	d.thread = take(d.alex, maria, "Hi! My order #4417 arrived with a cracked screen. Can you help?")
	d.maria = name(d.alex, d.thread, "Maria Gonzalez", "CUST-4417")
	reply(d.alex, d.thread, "Hi Maria, I'm sorry to hear that! I can send a replacement today. Is the address on the order still right?")
	s.mustAct(d.alex, "POST", "/v1/conversations/"+d.thread+"/notes", map[string]string{"body": "Checked the courier scan: box was dropped at the depot. Replacement approved by Ada."}, http.StatusCreated)
	settled(maria, 1)
	text(maria, "Yes, same address. Thank you!")
	if err := s.emu.SetFaults(twilioemu.Faults{DeliveryErrors: map[string]int{maria[len(maria)-4:]: 30003}}); err != nil {
		t.Fatal(err)
	}
	reply(d.alex, d.thread, "Great. Here is your return label for the broken one: https://example.com/r/4417")
	settled(maria, 2)
	if err := s.emu.SetFaults(twilioemu.Faults{}); err != nil {
		t.Fatal(err)
	}

	// Sam's conversation (Team for Alex), a closed one (Archived), two waiting (New).
	jun := newPhone()
	sams := take(d.sam, jun, "Do you ship to Canada?")
	name(d.sam, sams, "Jun Park", "")
	reply(d.sam, sams, "We do! Shipping to Canada takes 3 to 5 business days.")

	leo := newPhone()
	closed := take(d.priya, leo, "What time do you open on Saturday?")
	name(d.priya, closed, "Leo Martin", "")
	reply(d.priya, closed, "We open at 9 am on Saturdays.")
	s.mustAct(d.priya, "POST", "/v1/conversations/"+closed+"/end", nil, http.StatusOK)
	s.mustAct(d.priya, "POST", "/v1/conversations/"+closed+"/wrap-up", map[string]string{"reason": "Resolved", "closing_message": "Thanks for texting us, Leo!"}, http.StatusOK)

	text(newPhone(), "Is the blue jacket back in stock in size M?")
	text(newPhone(), "I need to change my delivery date")

	// Chat off for a moment: one missed conversation with the auto-response.
	s.mustAct(d.admin, "PUT", "/v1/teams/"+s.team.ID+"/chat", map[string]bool{"on": false}, http.StatusOK)
	late := newPhone()
	text(late, "Hello? Anyone there?")
	eventually(t, "the auto-response", func() bool { return len(s.sentTo(late)) == 1 })
	s.mustAct(d.admin, "PUT", "/v1/teams/"+s.team.ID+"/chat", map[string]bool{"on": true}, http.StatusOK)
	presence(d.priya, "offline")
	return d
}

// TestScreenshots writes docs/console/*.png (make screenshots).
func TestScreenshots(t *testing.T) {
	if *screenshotsDir == "" {
		t.Skip("run by make screenshots (-screenshots=DIR)")
	}
	if err := os.MkdirAll(*screenshotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, true, "Thanks for your message! Our team is away right now and will reply as soon as we are back.")
	s.requireConsole(t)
	d := buildDemo(t, s)

	b := startBrowser(t)
	shoot := func(p *page, name string) {
		p.t.Helper()
		for _, scheme := range []string{"light", "dark"} {
			p.colorScheme(scheme)
			settle(p)
			file := filepath.Join(*screenshotsDir, name+"-"+scheme+".png")
			if err := os.WriteFile(file, p.screenshot(), 0o644); err != nil {
				p.t.Fatal(err)
			}
			p.t.Logf("wrote %s", file)
		}
		p.colorScheme("light")
	}
	// screen runs one screen as a subtest, so one that does not load costs only its PNGs.
	screen := func(on *page, name string, show func(p *page)) {
		t.Run(name, func(t *testing.T) {
			p := on.with(t)
			show(p)
			shoot(p, name)
		})
	}

	alex := b.newPage(t, "alex")
	alex.viewport(1440, 900)
	screen(alex, "sign-in", func(p *page) {
		p.navigate(s.apiURL + "/")
		p.find(textbox, exactly("Email"))
	})
	alex.signIn(s.apiURL, d.alex.user.Email, demoPassword)
	screen(alex, "conversation", func(p *page) {
		p.navigate(s.apiURL + "/inbox/mine/c/" + d.thread)
		p.waitText(logRole, exactly("Messages"), "return label")
	})
	screen(alex, "inbox-new", func(p *page) {
		p.navigate(s.apiURL + "/inbox/new")
		p.waitStaticTextFunc("a waiting customer in New", func(s string) bool { return s == "Needs an agent" })
	})
	screen(alex, "inbox-team", func(p *page) {
		p.navigate(s.apiURL + "/inbox/team")
		p.waitStaticTextFunc("Jun in the Team list", func(s string) bool { return s == "Jun Park" })
	})
	screen(alex, "contact", func(p *page) {
		p.navigate(s.apiURL + "/contacts/" + d.maria)
		p.waitStaticTextFunc("Maria's contact", func(s string) bool { return s == "Maria Gonzalez" })
	})
	// Going Available offers Alex the waiting conversations: the offer popover.
	screen(alex, "offer", func(p *page) {
		p.navigate(s.apiURL + "/inbox/mine/c/" + d.thread)
		p.choose(control, exactly("Presence"), "Available")
		eventually(p.t, "Alex available", func() bool { return s.presenceState(d.alex) == store.PresenceAvailable })
		if _, code, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: newPhone(), To: s.teamPhone, Body: "Hi, can I still return an item bought 20 days ago?"}); err != nil || code != http.StatusOK {
			p.t.Fatalf("inbound: %d %v", code, err)
		}
		p.findAll(alertDlg, named{})
	})

	ada := b.newPage(t, "ada")
	ada.viewport(1440, 900)
	ada.signIn(s.apiURL, d.admin.user.Email, demoPassword)
	screen(ada, "supervisor", func(p *page) {
		p.navigate(s.apiURL + "/supervisor/" + s.team.ID)
		p.find(toggle, exactly("Chat"))
		p.waitStaticTextFunc("the people board", func(s string) bool { return s == "Alex Agent" })
	})
	screen(ada, "metrics", func(p *page) {
		p.navigate(s.apiURL + "/supervisor/" + s.team.ID + "/metrics")
		p.findAll(role{"img", "figure", "graphics-document"}, named{})
	})

	// Search last, in a tab of its own: a screen that hangs its tab spoils no other.
	finder := b.newPage(t, "alex-search")
	finder.viewport(1440, 900)
	finder.signIn(s.apiURL, d.alex.user.Email, demoPassword)
	screen(finder, "search", func(p *page) {
		p.navigate(s.apiURL + "/inbox/mine")
		p.fill(role{"searchbox", "textbox"}, exactly("Search conversations"), "Maria")
		p.keys("\r")
		p.waitStaticTextFunc("a search hit", func(s string) bool { return s == "Maria Gonzalez" })
	})
}

// settle waits for fonts and two animation frames, so a screenshot shows the page as
// painted after a color-scheme switch or a render.
func settle(p *page) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](
		`document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r()))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: settle: %v", p.name, err)
	}
}
