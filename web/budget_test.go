package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

// budgetKB is issue 12's limit: the first screen loads at most 200 KB of compressed
// JavaScript.
const budgetKB = 200

var (
	// <script type="module" src="/assets/main-X.js"> and <link rel="modulepreload" href="...">
	htmlScript   = regexp.MustCompile(`<script[^>]*\bsrc="/([^"]+\.js)"`)
	htmlPreload  = regexp.MustCompile(`<link[^>]*rel="modulepreload"[^>]*href="/([^"]+\.js)"`)
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	// esbuild's static imports: import{a}from"./chunk-X.js" or import"./chunk-X.js".
	// Dynamic import("./x.js") has a parenthesis and is not matched: it loads later.
	staticImport = regexp.MustCompile(`(?:\bfrom|\bimport)\s*"\./([^"]+\.js)"`)
)

// requireBuilt returns the built console, or ends the test: under make (MAKELEVEL is
// set) a missing build is a failure, because `make test` builds it first; with
// TEXTDESK_WEB_SKIPPED=1 (make test SKIP_WEB=1) or a bare `go test` it is a skip.
func requireBuilt(t *testing.T) fs.FS {
	t.Helper()
	if Built() {
		return Dist()
	}
	msg := "web/public is not built: run `make web` (the console build) first"
	if os.Getenv("TEXTDESK_WEB_SKIPPED") == "1" || os.Getenv("MAKELEVEL") == "" {
		t.Skip(msg + " (skipped: TEXTDESK_WEB_SKIPPED=1 or not run by make)")
	}
	t.Fatal(msg)
	return nil
}

func gzipSize(t *testing.T, files fs.FS, name string) int {
	t.Helper()
	if gz, err := fs.ReadFile(files, name+".gz"); err == nil {
		return len(gz)
	}
	b, err := fs.ReadFile(files, name)
	if err != nil {
		t.Fatalf("index.html loads %s, which is not in web/public: %v", name, err)
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func TestFirstScreenJavaScriptBudget(t *testing.T) {
	files := requireBuilt(t)
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	var queue []string
	for _, re := range []*regexp.Regexp{htmlScript, htmlPreload} {
		for _, m := range re.FindAllSubmatch(index, -1) {
			queue = append(queue, string(m[1]))
		}
	}
	if len(queue) == 0 {
		t.Fatalf("index.html loads no script:\n%s", index)
	}
	seen := map[string]bool{}
	total := 0
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		total += gzipSize(t, files, name)
		js, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		dir := name[:strings.LastIndex(name, "/")+1]
		for _, m := range staticImport.FindAllSubmatch(js, -1) {
			queue = append(queue, dir+string(m[1]))
		}
	}
	t.Logf("first screen: %d scripts, %.1f KB of gzipped JavaScript (budget %d KB)", len(seen), float64(total)/1024, budgetKB)
	if total > budgetKB*1024 {
		t.Errorf("the first screen loads %.1f KB of gzipped JavaScript, over the %d KB budget: "+
			"move screens behind lazy() imports (web/src/lib/lazy.tsx) or drop a dependency", float64(total)/1024, budgetKB)
	}
}

// The CSP forbids inline script, so index.html must have none (it would silently not run).
func TestIndexHasNoInlineScript(t *testing.T) {
	files := requireBuilt(t)
	index, _ := fs.ReadFile(files, "index.html")
	for _, tag := range inlineScript.FindAll(index, -1) {
		if !bytes.Contains(tag, []byte("src=")) {
			t.Errorf("index.html has an inline script %q; the Content-Security-Policy blocks it", tag)
		}
	}
	if bytes.Contains(index, []byte(" style=")) || bytes.Contains(index, []byte("<style")) {
		t.Errorf("index.html has inline style; the Content-Security-Policy blocks it")
	}
}
