package e2e

// The browser harness of the console tests: Debian's Chromium driven by chromedp over the
// DevTools protocol. Tests find elements the way a screen reader does, by ROLE and
// ACCESSIBLE NAME (Accessibility.queryAXTree), never by CSS class or test id, and then
// act on the DOM node behind the accessibility node with real input events (mouse
// clicks at the element's centre, key events and text insertion into the focused box).
//
// One browser process per test binary run is enough: each page gets its own browser
// context (cookies, storage), so two agents and a supervisor can be signed in at once.
// Every wait polls with a deadline; on failure a page leaves a screenshot, its console
// log and an outline of its accessibility tree behind (path in the test output).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium; TEXTDESK_CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("TEXTDESK_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browserWait is how long a wait for something on a page lasts before the test fails.
const browserWait = 15 * time.Second

// chromium is one Chromium process.
type chromium struct {
	ctx    context.Context // the chromedp context of the browser's first tab
	cancel context.CancelFunc
}

// startBrowser launches Chromium headless with a fresh profile; t.Cleanup kills it.
// Without Chromium the test fails (CI installs it: .ci/run); TEXTDESK_SKIP_BROWSER=1
// skips instead.
func startBrowser(t *testing.T) *chromium {
	t.Helper()
	if os.Getenv("TEXTDESK_SKIP_BROWSER") == "1" {
		t.Skip("TEXTDESK_SKIP_BROWSER=1: browser tests skipped")
	}
	path := chromiumPath()
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("the console tests drive Debian's Chromium at %s, which is missing: install it "+
			"(apt-get install chromium; .ci/run does) or set TEXTDESK_CHROMIUM to a Chromium binary; "+
			"TEXTDESK_SKIP_BROWSER=1 skips these tests", path)
	}
	dir := t.TempDir()
	var out syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		// No back-forward cache: a page a test navigated away from would stay alive there
		// with its event stream, and over HTTP/1.1 Chromium opens at most 6 connections
		// to a host, so the 7th page load of a tab would wait for a free one.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,BackForwardCache"),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(&out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &chromium{ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	t.Cleanup(b.cancel) // kills the process and waits for it
	// The first Run starts the process; it must not carry a timeout (that would end the
	// browser with it), so a watchdog bounds it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v\n%s", path, err, out.String())
		}
	case <-time.After(60 * time.Second):
		b.cancel()
		t.Fatalf("start %s: no DevTools connection within 60s\n%s", path, out.String())
	}
	return b
}

// page is one tab in its own browser context: one signed-in person.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context

	log *pageLog // shared by the copies that with makes
}

// pageLog is what a page logged: console messages, exceptions and log entries, in order.
type pageLog struct {
	mu    sync.Mutex
	lines []string
}

// with returns the page for use in another test (a subtest): failures end that test.
func (p *page) with(t *testing.T) *page {
	c := *p
	c.t = t
	t.Cleanup(func() {
		if t.Failed() {
			c.saveArtifacts()
		}
	})
	return &c
}

// newPage opens a tab in a new browser context (its own cookies). name labels the
// failure artifacts ("agent", "supervisor"). The tab closes in t.Cleanup; when t has
// failed, the page first saves a screenshot, its console log and its accessibility
// outline.
func (b *chromium) newPage(t *testing.T, name string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	p := &page{t: t, name: name, ctx: ctx, log: &pageLog{}}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		cancel()
		t.Fatalf("open a tab for %s: %v", name, err)
	}
	consoleEvents := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	entries := chromedp.Events(ctx, cdplog.EntryAdded)
	go func() {
		for ev, err := range consoleEvents {
			if err != nil {
				return
			}
			var args []string
			for _, a := range ev.Args {
				var str string
				switch {
				case a.Value != nil && json.Unmarshal(a.Value, &str) == nil:
					args = append(args, str)
				case a.Value != nil:
					args = append(args, string(a.Value))
				default:
					args = append(args, a.Description)
				}
			}
			p.logf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			p.logf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber)
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			e := ev.Entry
			p.logf("log %s %s: %s %s", e.Source, e.Level, e.Text, e.URL)
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			p.saveArtifacts()
		}
		cancel()
	})
	return p
}

func (p *page) logf(format string, args ...any) {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	p.log.lines = append(p.log.lines, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// consoleLog returns what the page logged so far.
func (p *page) consoleLog() []string {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	return slices.Clone(p.log.lines)
}

// saveArtifacts writes a screenshot, the console log and the accessibility outline to
// $TEXTDESK_BROWSER_ARTIFACTS (default: a directory under the system temp dir, kept
// after the test) and prints the console log into the test output.
func (p *page) saveArtifacts() {
	root := os.Getenv("TEXTDESK_BROWSER_ARTIFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "textdesk-browser-failures")
	}
	dir := filepath.Join(root, sanitize(p.t.Name())+"-"+time.Now().Format("150405"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("%s: save artifacts: %v", p.name, err)
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(filepath.Join(dir, p.name+".png"), png, 0o644)
	} else {
		p.t.Logf("%s: screenshot: %v", p.name, err)
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	outline, err := p.outline(ctx)
	if err != nil {
		outline = "(accessibility tree unavailable: " + err.Error() + ")"
	}
	logText := strings.Join(p.consoleLog(), "\n")
	_ = os.WriteFile(filepath.Join(dir, p.name+"-console.log"), []byte(logText+"\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, p.name+"-a11y.txt"), []byte(outline+"\n"), 0o644)
	p.t.Logf("%s (%s): screenshot, console log and accessibility outline in %s\nconsole:\n%s",
		p.name, url, dir, indent(logText))
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, s)
}

func indent(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// --- Finding things by role and accessible name -------------------------------------

// role is a set of acceptable ARIA roles: a control may be a native select ("combobox")
// or a custom button, a toggle a "switch" or a "checkbox".
type role []string

var (
	textbox  = role{"textbox", "searchbox"}
	button   = role{"button"}
	link     = role{"link", "tab"}
	control  = role{"combobox", "listbox", "button", "menu", "radiogroup", "spinbutton", "textbox"}
	toggle   = role{"switch", "checkbox"}
	logRole  = role{"log"}
	dialog   = role{"dialog", "alertdialog"}
	alertDlg = role{"alertdialog"}
	anyRole  = role{""} // any role: the name alone decides
)

// named matches an accessible name: exactly, or by prefix ("New" matches "New 3").
type named struct {
	text   string
	prefix bool
}

func exactly(s string) named    { return named{text: s} }
func startsWith(s string) named { return named{text: s, prefix: true} }

func (n named) matches(name string) bool {
	name = strings.TrimSpace(name)
	if n.prefix {
		return strings.HasPrefix(name, n.text)
	}
	return name == n.text
}

func (n named) String() string {
	if n.prefix {
		return fmt.Sprintf("%q…", n.text)
	}
	return fmt.Sprintf("%q", n.text)
}

// axNode is a found element: its accessibility node and the DOM node behind it.
type axNode struct {
	Role, Name, Value string
	Backend           cdp.BackendNodeID
	Props             map[string]string
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err == nil {
		return s
	}
	return string(v.Value)
}

func toAXNode(n *accessibility.Node) axNode {
	a := axNode{Role: axString(n.Role), Name: axString(n.Name), Value: axString(n.Value),
		Backend: n.BackendDOMNodeID, Props: map[string]string{}}
	for _, pr := range n.Properties {
		a.Props[string(pr.Name)] = axString(pr.Value)
	}
	return a
}

// within limits a query to the subtree of a found element (zero: the whole page).
type within = cdp.BackendNodeID

// query returns the elements, not ignored by assistive technology, with one of the roles
// and a matching name, in document order, under root (0: the document).
func (p *page) query(ctx context.Context, root within, r role, n named) ([]axNode, error) {
	params := accessibility.QueryAXTreeParams{BackendNodeID: root}
	if root == 0 {
		doc, err := chromedp.Run(ctx, chromedp.Evaluate[*runtime.RemoteObject]("document"))
		if err != nil {
			return nil, err
		}
		params.ObjectID = doc.ObjectID
		defer chromedp.Call(ctx, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: doc.ObjectID})
	}
	if !n.prefix && n.text != "" {
		params.AccessibleName = n.text
	}
	var out []axNode
	for _, ro := range r {
		params.Role = ro
		res, err := chromedp.Call(ctx, accessibility.QueryAXTree, params)
		if err != nil {
			return nil, err
		}
		for _, node := range res.Nodes {
			if node.Ignored || node.BackendDOMNodeID == 0 {
				continue
			}
			a := toAXNode(node)
			if n.text == "" || n.matches(a.Name) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// errNotYet is what a poll function returns to be called again.
var errNotYet = errors.New("not yet")

// poll calls f every 100 ms until it returns nil or an error other than errNotYet, or
// the deadline passes; it then fails the test with what, and f's last words.
func (p *page) poll(what string, within time.Duration, f func(ctx context.Context) (string, error)) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, within)
	defer cancel()
	var last string
	for {
		detail, err := f(ctx)
		if err == nil {
			return
		}
		if detail != "" {
			last = detail
		}
		if !errors.Is(err, errNotYet) && ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if p.ctx.Err() != nil {
				p.t.Fatalf("%s: %s: the browser is gone: %v", p.name, what, context.Cause(p.ctx))
			}
			p.t.Fatalf("%s: %s: not within %s (%s)", p.name, what, within, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// find waits until exactly one element with the role and name is there, and returns it.
func (p *page) find(r role, n named) axNode {
	p.t.Helper()
	return p.findIn(0, r, n)
}

func (p *page) findIn(root within, r role, n named) axNode {
	p.t.Helper()
	var found axNode
	p.poll(fmt.Sprintf("find %v named %v", r, n), browserWait, func(ctx context.Context) (string, error) {
		nodes, err := p.query(ctx, root, r, n)
		if err != nil {
			return "", err
		}
		switch len(nodes) {
		case 0:
			return "none", errNotYet
		case 1:
			found = nodes[0]
			return "", nil
		default:
			var names []string
			for _, x := range nodes {
				names = append(names, x.Role+" "+x.Name)
			}
			return fmt.Sprintf("%d matches: %s", len(nodes), strings.Join(names, "; ")), errNotYet
		}
	})
	return found
}

// findAll waits until at least one element matches and returns them all.
func (p *page) findAll(r role, n named) []axNode {
	p.t.Helper()
	var found []axNode
	p.poll(fmt.Sprintf("find any %v named %v", r, n), browserWait, func(ctx context.Context) (string, error) {
		nodes, err := p.query(ctx, 0, r, n)
		if err != nil || len(nodes) == 0 {
			return "none", errors.Join(errNotYet, err)
		}
		found = nodes
		return "", nil
	})
	return found
}

// has reports, without waiting, whether an element with the role and name is there.
func (p *page) has(r role, n named) bool {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	nodes, err := p.query(ctx, 0, r, n)
	if err != nil {
		p.t.Fatalf("%s: query %v %v: %v", p.name, r, n, err)
	}
	return len(nodes) > 0
}

// waitGone waits until no element with the role and name is there.
func (p *page) waitGone(r role, n named) {
	p.t.Helper()
	p.poll(fmt.Sprintf("%v named %v to go away", r, n), browserWait, func(ctx context.Context) (string, error) {
		nodes, err := p.query(ctx, 0, r, n)
		if err != nil {
			return "", err
		}
		if len(nodes) > 0 {
			return "still there", errNotYet
		}
		return "", nil
	})
}

// waitUntil polls the element with the role and name until cond holds for it.
func (p *page) waitUntil(r role, n named, what string, cond func(axNode) bool) axNode {
	p.t.Helper()
	var found axNode
	p.poll(fmt.Sprintf("%v named %v %s", r, n, what), browserWait, func(ctx context.Context) (string, error) {
		nodes, err := p.query(ctx, 0, r, n)
		if err != nil {
			return "", err
		}
		for _, x := range nodes {
			if cond(x) {
				found = x
				return "", nil
			}
		}
		var seen []string
		for _, x := range nodes {
			seen = append(seen, fmt.Sprintf("%s %q value %q", x.Role, x.Name, x.Value))
		}
		return "saw: " + strings.Join(seen, "; "), errNotYet
	})
	return found
}

// --- Acting on what was found ----------------------------------------------------

// call runs a JavaScript function with this = the element and returns its JSON result.
func (p *page) call(ctx context.Context, n axNode, fn string, args ...any) (json.RawMessage, error) {
	obj, err := chromedp.Call(ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: n.Backend})
	if err != nil {
		return nil, err
	}
	defer chromedp.Call(ctx, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: obj.Object.ObjectID})
	var cargs []*runtime.CallArgument
	for _, a := range args {
		raw, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		cargs = append(cargs, &runtime.CallArgument{Value: raw})
	}
	yes := true
	res, err := chromedp.Call(ctx, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
		FunctionDeclaration: fn, ObjectID: obj.Object.ObjectID, Arguments: cargs,
		ReturnByValue: &yes, AwaitPromise: &yes, UserGesture: &yes,
	})
	if err != nil {
		return nil, err
	}
	if res.ExceptionDetails != nil {
		msg := res.ExceptionDetails.Text
		if res.ExceptionDetails.Exception != nil {
			msg = res.ExceptionDetails.Exception.Description
		}
		return nil, fmt.Errorf("javascript: %s", msg)
	}
	return json.RawMessage(res.Result.Value), nil
}

// clickNode clicks the element's centre with the mouse, as a person would (so an overlay
// on top of it gets the click instead, and the test notices).
func (p *page) clickNode(n axNode) {
	p.t.Helper()
	p.poll(fmt.Sprintf("click %s %q", n.Role, n.Name), browserWait, func(ctx context.Context) (string, error) {
		if _, err := chromedp.Call(ctx, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: n.Backend}); err != nil {
			return "", err
		}
		q, err := chromedp.Call(ctx, dom.GetContentQuads, dom.GetContentQuadsParams{BackendNodeID: n.Backend})
		if err != nil {
			return "", err
		}
		if len(q.Quads) == 0 || len(q.Quads[0]) < 8 {
			return "no box (not rendered)", errNotYet
		}
		var x, y float64
		for i := 0; i < 8; i += 2 {
			x += q.Quads[0][i] / 4
			y += q.Quads[0][i+1] / 4
		}
		return "", chromedp.Do(ctx, chromedp.MouseClickXY(x, y))
	})
}

// click waits for the element with the role and name and clicks it.
func (p *page) click(r role, n named) {
	p.t.Helper()
	p.clickNode(p.find(r, n))
}

// focus gives the element keyboard focus.
func (p *page) focus(n axNode) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if _, err := chromedp.Call(ctx, dom.Focus, dom.FocusParams{BackendNodeID: n.Backend}); err != nil {
		p.t.Fatalf("%s: focus %s %q: %v", p.name, n.Role, n.Name, err)
	}
}

// fill replaces the text of the textbox with the role and name: it focuses the box,
// selects what is in it and inserts text as typing or pasting would (input events, and
// the box's maxlength applies).
func (p *page) fill(r role, n named, text string) axNode {
	p.t.Helper()
	box := p.find(r, n)
	p.focus(box)
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if _, err := p.call(ctx, box, `function(){ if (this.select) this.select(); else document.execCommand('selectAll'); }`); err != nil {
		p.t.Fatalf("%s: select the text of %q: %v", p.name, box.Name, err)
	}
	if text == "" {
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\b")); err != nil {
			p.t.Fatalf("%s: clear %q: %v", p.name, box.Name, err)
		}
		return box
	}
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		p.t.Fatalf("%s: type into %q: %v", p.name, box.Name, err)
	}
	return box
}

// keys sends key presses (chromedp's kb names: "\r" is Enter) to the focused element.
func (p *page) keys(keys string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(keys)); err != nil {
		p.t.Fatalf("%s: keys %q: %v", p.name, keys, err)
	}
}

// value returns the element's current value (a textbox's text, a select's value).
func (p *page) value(n axNode) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	raw, err := p.call(ctx, n, `function(){ return this.value ?? this.textContent ?? ''; }`)
	if err != nil {
		p.t.Fatalf("%s: value of %q: %v", p.name, n.Name, err)
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// choose picks the option named option in the control: a native select gets it as a
// person's pick would (value + input + change events); any other control is clicked
// open and the option (menuitem, option, radio) clicked.
func (p *page) choose(r role, n named, option string) {
	p.t.Helper()
	c := p.find(r, n)
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	raw, err := p.call(ctx, c, `function(label){
		if (this.tagName !== 'SELECT') return 'not a select';
		const o = [...this.options].find(o => o.label.trim() === label || o.textContent.trim() === label);
		if (!o) return 'no option ' + JSON.stringify(label) + ' in ' + [...this.options].map(o => o.label).join(' | ');
		if (o.disabled) return 'option ' + JSON.stringify(label) + ' is disabled';
		this.focus();
		this.value = o.value;
		this.dispatchEvent(new Event('input', {bubbles: true}));
		this.dispatchEvent(new Event('change', {bubbles: true}));
		return '';
	}`, option)
	if err != nil {
		p.t.Fatalf("%s: choose %q in %q: %v", p.name, option, c.Name, err)
	}
	var res string
	_ = json.Unmarshal(raw, &res)
	switch res {
	case "":
		return
	case "not a select":
		p.clickNode(c)
		p.click(role{"menuitem", "menuitemradio", "option", "radio"}, exactly(option))
	default:
		p.t.Fatalf("%s: choose in %q: %s", p.name, c.Name, res)
	}
}

// setValue sets the value of an input that has no text to type into (a date or time
// picker) as a person's pick ends: value, then input and change events.
func (p *page) setValue(n axNode, v string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if _, err := p.call(ctx, n, `function(v){
		this.focus();
		this.value = v;
		this.dispatchEvent(new Event('input', {bubbles: true}));
		this.dispatchEvent(new Event('change', {bubbles: true}));
	}`, v); err != nil {
		p.t.Fatalf("%s: set %q to %q: %v", p.name, n.Name, v, err)
	}
}

// checked reports whether a switch or checkbox is on.
func (p *page) checked(n axNode) bool {
	return n.Props["checked"] == "true"
}

// text returns the visible text of the element (innerText).
func (p *page) text(n axNode) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	raw, err := p.call(ctx, n, `function(){ return this.innerText ?? this.textContent ?? ''; }`)
	if err != nil {
		p.t.Fatalf("%s: text of %q: %v", p.name, n.Name, err)
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// waitText waits until the element with the role and name shows text containing want
// (its own visible text, which holds its descendants' text).
func (p *page) waitText(r role, n named, want string) axNode {
	p.t.Helper()
	var found axNode
	p.poll(fmt.Sprintf("%v named %v to show %q", r, n, want), browserWait, func(ctx context.Context) (string, error) {
		nodes, err := p.query(ctx, 0, r, n)
		if err != nil {
			return "", err
		}
		var seen string
		for _, x := range nodes {
			raw, err := p.call(ctx, x, `function(){ return this.innerText ?? ''; }`)
			if err != nil {
				continue // re-rendered meanwhile
			}
			var s string
			_ = json.Unmarshal(raw, &s)
			if strings.Contains(s, want) {
				found = x
				return "", nil
			}
			seen = s
		}
		if len(seen) > 300 {
			seen = seen[:300] + "…"
		}
		return fmt.Sprintf("%d found; text %q", len(nodes), seen), errNotYet
	})
	return found
}

// waitStaticText waits until some text on the page, as the accessibility tree exposes it
// (role StaticText), contains want, and returns that text.
func (p *page) waitStaticText(want string) string {
	p.t.Helper()
	var got string
	p.poll(fmt.Sprintf("text containing %q", want), browserWait, func(ctx context.Context) (string, error) {
		nodes, err := p.query(ctx, 0, role{"StaticText"}, named{})
		if err != nil {
			return "", err
		}
		for _, x := range nodes {
			if strings.Contains(x.Name, want) {
				got = x.Name
				return "", nil
			}
		}
		return "", errNotYet
	})
	return got
}

// navigate loads url and waits for the load event.
func (p *page) navigate(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatalf("%s: navigate to %s: %v", p.name, url, err)
	}
}

// eval evaluates a JavaScript expression on the page and decodes its value.
func evalOn[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

// colorScheme emulates prefers-color-scheme ("light" or "dark").
func (p *page) colorScheme(scheme string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		p.t.Fatalf("%s: emulate %s: %v", p.name, scheme, err)
	}
}

// viewport sets the page's CSS viewport (and a device scale factor of 1).
func (p *page) viewport(width, height int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: 1,
	}); err != nil {
		p.t.Fatalf("%s: viewport %dx%d: %v", p.name, width, height, err)
	}
}

// screenshot returns a PNG of the viewport.
func (p *page) screenshot() []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	return png
}

// outline is the page's accessibility tree as indented "role "name" [value]" lines:
// what a screen reader would find, for failure reports.
func (p *page) outline(ctx context.Context) (string, error) {
	res, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		return "", err
	}
	byID := map[accessibility.NodeID]*accessibility.Node{}
	for _, n := range res.Nodes {
		byID[n.NodeID] = n
	}
	var b strings.Builder
	var walk func(id accessibility.NodeID, depth int)
	walk = func(id accessibility.NodeID, depth int) {
		n := byID[id]
		if n == nil {
			return
		}
		next := depth
		r := axString(n.Role)
		if !n.Ignored && r != "none" && r != "generic" && r != "InlineTextBox" {
			fmt.Fprintf(&b, "%s%s %q", strings.Repeat("  ", depth), r, axString(n.Name))
			if v := axString(n.Value); v != "" {
				fmt.Fprintf(&b, " value=%q", v)
			}
			b.WriteByte('\n')
			next = depth + 1
		}
		for _, c := range n.ChildIDs {
			walk(c, next)
		}
	}
	if len(res.Nodes) > 0 {
		walk(res.Nodes[0].NodeID, 0)
	}
	return b.String(), nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<16 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
