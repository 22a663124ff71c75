// Command webshot saves a PNG of a web page once a given text shows on it: headless
// Chromium through chromedp, for pages (such as Temporal Web, a single-page app) that
// render after load. Used by docs/ops/screenshot.sh.
//
//	go run ./internal/webshot -url http://... [-click "Tab name"] -wait "some text" -out page.png
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url := flag.String("url", "", "page to open")
	click := flag.String("click", "", "text of a link or tab to click once it shows (e.g. a tab's name)")
	wait := flag.String("wait", "", "text the page must show before the screenshot")
	out := flag.String("out", "", "PNG file to write")
	width := flag.Int("width", 1400, "window width")
	height := flag.Int("height", 1000, "window height")
	flag.Parse()
	if *url == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "webshot: -url and -out are required")
		os.Exit(2)
	}
	if err := shoot(*url, *click, *wait, *out, *width, *height); err != nil {
		fmt.Fprintln(os.Stderr, "webshot:", err)
		os.Exit(1)
	}
}

func shoot(url, click, wait, out string, width, height int) error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.WindowSize(width, height))
	if p := os.Getenv("CHROMIUM"); p != "" {
		opts = append(opts, chromedp.ExecPath(p))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser() // kills the browser
	// The first action starts the browser: no timeout on it, or the browser ends with it.
	if err := chromedp.Do(browser); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		return err
	}
	if click != "" {
		expr := fmt.Sprintf(`(() => {
			const el = [...document.querySelectorAll('a, button, [role=tab]')].find(e => e.innerText.trim().startsWith(%q));
			if (el) el.click();
			return !!el;
		})()`, click)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
			return fmt.Errorf("clicking %q on %s: %w", click, url, err)
		}
	}
	if wait != "" {
		expr := fmt.Sprintf("!!document.body && document.body.innerText.includes(%q)", wait)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
			return fmt.Errorf("waiting for %q on %s: %w", wait, url, err)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Sleep(time.Second)); err != nil { // let late panels settle
		return err
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(out, png, 0o644) //nolint:gosec // a screenshot for the docs, committed: world-readable on purpose
}
