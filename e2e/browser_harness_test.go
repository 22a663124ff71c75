package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// harnessPage exercises each kind of lookup the console tests use, with names given by
// aria-label, <label for>, aria-labelledby and text content.
const harnessPage = `<!doctype html>
<html><head><title>harness</title></head><body>
<label for=email>Email</label><input id=email type=email>
<label>Password <input type=password id=pw></label>
<button id=signin onclick="document.getElementById('out').textContent = 'signed in as ' + document.getElementById('email').value; console.log('clicked', 42)">Sign in</button>
<p id=out></p>
<label for=presence>Presence</label>
<select id=presence onchange="document.getElementById('state').textContent = this.value">
  <option value=away>Away</option><option value=available>Available</option>
</select>
<span id=state>away</span>
<nav><a href="#new">New <span>3</span></a> <a href="#missed">Missed 0</a></nav>
<div role=log aria-label=Messages><p>hello from the customer</p></div>
<textarea aria-label=Message maxlength=10></textarea>
<button aria-label="Chat" role=switch aria-checked=false onclick="this.setAttribute('aria-checked', this.getAttribute('aria-checked') === 'true' ? 'false' : 'true')">●</button>
<button style="display:none">Hidden</button>
<button id=later onclick="setTimeout(() => { const d = document.createElement('div'); d.setAttribute('role', 'alertdialog'); d.setAttribute('aria-label', 'Offer'); d.innerHTML = '<button>Accept</button>'; document.body.append(d); }, 300)">Later</button>
<span>12/1000</span>
</body></html>`

// TestBrowserHarness checks the harness itself against a static page (no console, no
// stack): lookups by role and accessible name, clicks, typing, maxlength, selects,
// switches, waits for late elements and the console log.
func TestBrowserHarness(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(harnessPage))
	}))
	defer srv.Close()

	b := startBrowser(t)
	p := b.newPage(t, "harness")
	p.navigate(srv.URL)

	p.fill(textbox, exactly("Email"), "ada@example.com")
	p.fill(textbox, exactly("Password"), "secret")
	p.click(button, exactly("Sign in"))
	if got := p.waitStaticText("signed in as"); got != "signed in as ada@example.com" {
		t.Errorf("after Sign in: %q", got)
	}

	p.choose(control, exactly("Presence"), "Available")
	p.waitStaticText("available")

	if n := p.find(link, startsWith("New")); n.Name != "New 3" {
		t.Errorf("New link named %q", n.Name)
	}
	p.find(link, startsWith("Missed"))
	p.waitText(logRole, exactly("Messages"), "hello from the customer")

	box := p.fill(textbox, exactly("Message"), "0123456789X")
	if v := p.value(box); v != "0123456789" {
		t.Errorf("maxlength 10 box holds %q", v)
	}
	p.keys("Y")
	if v := p.value(box); v != "0123456789" {
		t.Errorf("after one more key the box holds %q", v)
	}

	sw := p.find(toggle, exactly("Chat"))
	if p.checked(sw) {
		t.Error("Chat switch starts on")
	}
	p.clickNode(sw)
	p.waitUntil(toggle, exactly("Chat"), "to be on", p.checked)

	if p.has(button, exactly("Hidden")) {
		t.Error("a display:none button is found")
	}
	p.click(button, exactly("Later"))
	offer := p.find(alertDlg, exactly("Offer"))
	p.clickNode(p.findIn(offer.Backend, button, exactly("Accept")))

	if got := p.waitStaticText("/1000"); got != "12/1000" {
		t.Errorf("counter %q", got)
	}
	p.poll("console log of the click", browserWait, func(context.Context) (string, error) {
		for _, l := range p.consoleLog() {
			if strings.Contains(l, "clicked 42") {
				return "", nil
			}
		}
		return strings.Join(p.consoleLog(), "; "), errNotYet
	})
}
