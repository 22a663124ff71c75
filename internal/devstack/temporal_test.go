package devstack

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func startTP(t *testing.T, o TemporalOptions) *Temporal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	tp, err := StartTemporal(ctx, o)
	if err != nil {
		t.Fatalf("StartTemporal: %v", err)
	}
	t.Logf("temporal ready on %s in %s", tp.Address, time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() { tp.Stop() })
	return tp
}

func listSearchAttributes(t *testing.T, address, namespace string) map[string]enumspb.IndexedValueType {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetCustomAttributes()
}

func TestTemporalInMemory(t *testing.T) {
	skipWithoutTemporal(t)
	tp := startTP(t, TemporalOptions{SearchAttributes: map[string]string{
		"TextdeskConversationId": "Keyword",
		"TextdeskTags":           "KeywordList",
	}})
	if tp.UIURL != "" || tp.Namespace != "default" {
		t.Fatalf("UIURL=%q Namespace=%q", tp.UIURL, tp.Namespace)
	}
	sa := listSearchAttributes(t, tp.Address, "default")
	if sa["TextdeskConversationId"] != enumspb.INDEXED_VALUE_TYPE_KEYWORD || sa["TextdeskTags"] != enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST {
		t.Fatalf("custom search attributes = %v", sa)
	}
	// Usable right away: a worker runs a workflow that sets a search attribute.
	runWorkflow(t, tp)

	logFile := tp.LogFile
	port := portOf(tp.Address)
	begin := time.Now()
	if err := tp.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("temporal stopped in %s", time.Since(begin).Round(time.Millisecond))
	if !portFree(port) {
		t.Fatalf("port %d still in use after Stop", port)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Fatalf("temporary log file %s not removed: %v", logFile, err)
	}
	if err := tp.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestTemporalDBFileNamespaceUI(t *testing.T) {
	skipWithoutTemporal(t)
	dir := t.TempDir()
	uiPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	o := TemporalOptions{
		DBFile:           filepath.Join(dir, "state", "temporal.db"),
		UIPort:           uiPort,
		UICodecEndpoint:  "http://127.0.0.1:1/codec",
		Namespace:        "textdesk",
		SearchAttributes: map[string]string{"TextdeskConversationId": "keyword"},
	}
	tp := startTP(t, o)
	if tp.UIURL == "" || !strings.HasSuffix(tp.UIURL, ":"+strconv.Itoa(uiPort)) {
		t.Fatalf("UIURL = %q", tp.UIURL)
	}
	// The web UI tells the browser where to decode payloads (make dev: the api's /codec).
	resp, err := http.Get(tp.UIURL + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(settings), `"http://127.0.0.1:1/codec"`) {
		t.Errorf("the web UI's settings name no codec endpoint: %.500s", settings)
	}
	if tp.LogFile != filepath.Join(dir, "state", "temporal.log") {
		t.Fatalf("LogFile = %q", tp.LogFile)
	}
	if err := tp.Stop(); err != nil {
		t.Fatal(err)
	}
	// Restart on the same file with one more attribute.
	o.SearchAttributes["TextdeskInboxId"] = "Int"
	tp = startTP(t, o)
	sa := listSearchAttributes(t, tp.Address, "textdesk")
	if sa["TextdeskConversationId"] != enumspb.INDEXED_VALUE_TYPE_KEYWORD || sa["TextdeskInboxId"] != enumspb.INDEXED_VALUE_TYPE_INT {
		t.Fatalf("custom search attributes after restart = %v", sa)
	}
	runWorkflow(t, tp)
	if err := tp.Stop(); err != nil {
		t.Fatal(err)
	}
	// Changing a type on an existing file is reported, not waited for.
	o.SearchAttributes["TextdeskInboxId"] = "Keyword"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = StartTemporal(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "registered as Int") {
		t.Fatalf("type change: err = %v", err)
	}
}

func TestTemporalBadInputs(t *testing.T) {
	if _, err := StartTemporal(context.Background(), TemporalOptions{SearchAttributes: map[string]string{"X": "Float"}}); err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Fatalf("bad type: %v", err)
	}
	_, err := StartTemporal(context.Background(), TemporalOptions{Binary: "/nonexistent/temporal"})
	if err == nil || !strings.Contains(err.Error(), ErrTemporalNotFound.Error()) {
		t.Fatalf("missing binary: %v", err)
	}
}

func TestTemporalDiesWithParent(t *testing.T) {
	skipWithoutTemporal(t)
	rep := startOrphanParent(t, "temporal:"+filepath.Join(t.TempDir(), "temporal.log"))
	waitUntil(t, 30*time.Second, "orphaned temporal to exit", func() bool { return zombieOrGone(rep.Pid) })
	waitUntil(t, 10*time.Second, "port to be released", func() bool { return portFree(rep.Port) })
}

func greet(ctx workflow.Context, name string) (string, error) {
	key := temporal.NewSearchAttributeKeyKeyword("TextdeskConversationId")
	if err := workflow.UpsertTypedSearchAttributes(ctx, key.ValueSet("conv-1")); err != nil {
		return "", err
	}
	return "hello " + name, nil
}

func runWorkflow(t *testing.T, tp *Temporal) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := time.Now()
	c, err := client.DialContext(ctx, client.Options{HostPort: tp.Address, Namespace: tp.Namespace, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "devstack-smoke", worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "devstack-smoke"}, greet, "textdesk")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != "hello textdesk" {
		t.Fatalf("workflow result %q", got)
	}
	t.Logf("first workflow completed %s after the server was ready", time.Since(begin).Round(time.Millisecond))
}

func TestTemporalArgsPragmas(t *testing.T) {
	args := strings.Join(temporalArgs(TemporalOptions{DBFile: "/d/t.db", Namespace: "default",
		SQLitePragmas: map[string]string{"synchronous": "off", "cache_size": "-32768"},
		DynamicConfig: map[string]string{"history.cacheMaxSize": "4096"}}, 7233), " ")
	for _, want := range []string{
		"--db-filename /d/t.db --sqlite-pragma cache_size=-32768 --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=off",
		"--dynamic-config-value history.cacheMaxSize=4096",
	} {
		if !strings.Contains(args, want) {
			t.Fatalf("args %q lack %q", args, want)
		}
	}
	if mem := strings.Join(temporalArgs(TemporalOptions{Namespace: "default"}, 7233), " "); strings.Contains(mem, "pragma") {
		t.Fatalf("in-memory server got pragmas: %q", mem)
	}
}

// The web UI is pointed at the codec server only when there is a web UI.
func TestTemporalArgsUICodecEndpoint(t *testing.T) {
	args := strings.Join(temporalArgs(TemporalOptions{Namespace: "default", UIPort: 8233, UICodecEndpoint: "http://127.0.0.1:8080/codec"}, 7233), " ")
	if !strings.Contains(args, "--ui-port 8233 --ui-codec-endpoint http://127.0.0.1:8080/codec") {
		t.Errorf("args %q lack the UI's codec endpoint", args)
	}
	headless := strings.Join(temporalArgs(TemporalOptions{Namespace: "default", UICodecEndpoint: "http://127.0.0.1:8080/codec"}, 7233), " ")
	if strings.Contains(headless, "codec") {
		t.Errorf("headless server got a UI codec endpoint: %q", headless)
	}
}
