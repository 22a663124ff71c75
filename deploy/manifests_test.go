// Package deploy holds the Kubernetes manifests and the image's Dockerfile. No cluster
// or container engine runs on the development machines, so these tests read the
// manifests and hold them to what production needs.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/textdesk/textdesk/config"
)

type object struct {
	file string
	doc  map[string]any
}

func (o object) kind() string { return str(o.doc, "kind") }
func (o object) name() string { return str(o.doc, "metadata", "name") }

// load reads every document of every manifest in deploy/kubernetes.
func load(t *testing.T) (objs []object, kustomization map[string]any) {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			if filepath.Base(f) == "kustomization.yaml" {
				kustomization = doc
				continue
			}
			objs = append(objs, object{file: filepath.Base(f), doc: doc})
		}
	}
	if kustomization == nil {
		t.Fatal("no kubernetes/kustomization.yaml")
	}
	return objs, kustomization
}

// get walks maps by key; nil where a key is missing.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string { s, _ := get(v, path...).(string); return s }

func list(v any, path ...string) []any { l, _ := get(v, path...).([]any); return l }

// podSpec is a Deployment's or Job's pod template spec.
func podSpec(o object) map[string]any {
	s, _ := get(o.doc, "spec", "template", "spec").(map[string]any)
	return s
}

func workloads(objs []object) []object {
	var w []object
	for _, o := range objs {
		if o.kind() == "Deployment" || o.kind() == "Job" {
			w = append(w, o)
		}
	}
	return w
}

func TestKustomizationListsEveryManifestAndPinsTheImage(t *testing.T) {
	objs, k := load(t)
	var listed []string
	for _, r := range list(k, "resources") {
		listed = append(listed, r.(string))
	}
	seen := map[string]bool{}
	for _, o := range objs {
		seen[o.file] = true
	}
	for f := range seen {
		if !slices.Contains(listed, f) {
			t.Errorf("%s is not in kustomization.yaml's resources: `kubectl apply -k` would skip it", f)
		}
	}
	images := list(k, "images")
	if len(images) != 1 || str(images[0], "name") != "textdesk" {
		t.Fatalf("kustomization.yaml must pin the one image `textdesk`: %v", images)
	}
	tag, digest := str(images[0], "newTag"), str(images[0], "digest")
	if digest == "" && (tag == "" || tag == "latest") {
		t.Errorf("the image is not pinned (newTag %q): a rollout could run another build than the migrate Job", tag)
	}
	for _, o := range workloads(objs) {
		for _, c := range containers(o) {
			if img := str(c, "image"); img != "textdesk" {
				t.Errorf("%s/%s container %s: image %q; use `textdesk`, pinned once in kustomization.yaml", o.kind(), o.name(), str(c, "name"), img)
			}
		}
	}
}

func containers(o object) []any {
	spec := podSpec(o)
	return append(list(spec, "initContainers"), list(spec, "containers")...)
}

// Every pod runs as non-root with the restricted profile: read-only root filesystem, no
// privilege escalation, no capabilities, RuntimeDefault seccomp, and no API token.
func TestWorkloadsAreHardened(t *testing.T) {
	objs, _ := load(t)
	if len(workloads(objs)) < 3 {
		t.Fatalf("want the api and worker Deployments and the migrate Job, got %d workloads", len(workloads(objs)))
	}
	for _, o := range workloads(objs) {
		spec := podSpec(o)
		id := o.kind() + "/" + o.name()
		if get(spec, "securityContext", "runAsNonRoot") != true || str(spec, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
			t.Errorf("%s: pod securityContext needs runAsNonRoot: true and seccompProfile RuntimeDefault", id)
		}
		if get(spec, "automountServiceAccountToken") != false {
			t.Errorf("%s: automountServiceAccountToken must be false (textdesk never calls the Kubernetes API)", id)
		}
		for _, c := range containers(o) {
			cid := id + " container " + str(c, "name")
			sc := get(c, "securityContext")
			if get(sc, "allowPrivilegeEscalation") != false || get(sc, "readOnlyRootFilesystem") != true ||
				!reflect.DeepEqual(list(sc, "capabilities", "drop"), []any{"ALL"}) {
				t.Errorf("%s: securityContext needs allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop [ALL]: %v", cid, sc)
			}
			if get(c, "resources", "requests", "cpu") == nil || get(c, "resources", "requests", "memory") == nil || get(c, "resources", "limits", "memory") == nil {
				t.Errorf("%s: needs cpu and memory requests and a memory limit", cid)
			}
		}
	}
}

// api and worker wait for the release's migrations, have probes, have their metrics
// scraped from a declared port, and a disruption budget.
func TestDeploymentsProbesMetricsAndBudgets(t *testing.T) {
	objs, _ := load(t)
	budgets := map[string]bool{}
	for _, o := range objs {
		if o.kind() == "PodDisruptionBudget" {
			budgets[str(o.doc, "spec", "selector", "matchLabels", "app")] = true
		}
	}
	deployments := 0
	for _, o := range objs {
		if o.kind() != "Deployment" {
			continue
		}
		deployments++
		app := str(o.doc, "spec", "selector", "matchLabels", "app")
		if !budgets[app] {
			t.Errorf("Deployment %s: no PodDisruptionBudget selects app=%s", o.name(), app)
		}
		spec := podSpec(o)
		waits := false
		for _, c := range list(spec, "initContainers") {
			waits = waits || strings.Join(toStrings(list(c, "args")), " ") == "migrate --wait 10m"
		}
		if !waits {
			t.Errorf("Deployment %s: no init container `migrate --wait`: it could start on an old schema", o.name())
		}
		ports := map[string]bool{}
		for _, c := range list(spec, "containers") {
			for _, p := range list(c, "ports") {
				ports[str(p, "name")] = true
				if n, ok := get(p, "containerPort").(int); ok {
					ports[itoa(n)] = true
				}
			}
			for _, probe := range []string{"livenessProbe", "readinessProbe"} {
				port := get(c, probe, "httpGet", "port")
				if port == nil {
					t.Errorf("Deployment %s: container %s has no %s", o.name(), str(c, "name"), probe)
				} else if s, ok := port.(string); ok && !ports[s] {
					t.Errorf("Deployment %s: %s uses undeclared port %q", o.name(), probe, s)
				}
			}
		}
		if p := str(o.doc, "spec", "template", "metadata", "annotations", "prometheus.io/port"); p == "" || !ports[p] {
			t.Errorf("Deployment %s: metrics not scraped from a declared port (prometheus.io/port %q)", o.name(), p)
		}
	}
	if deployments != 2 {
		t.Errorf("want 2 Deployments (api, worker), got %d", deployments)
	}
}

func toStrings(l []any) []string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i], _ = v.(string)
	}
	return s
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// Default deny, and only the api admits traffic from outside the monitoring namespace.
func TestNetworkPolicies(t *testing.T) {
	objs, _ := load(t)
	var denyAll bool
	admitted := map[string]bool{} // app label -> admits other than monitoring
	for _, o := range objs {
		if o.kind() != "NetworkPolicy" {
			continue
		}
		sel := get(o.doc, "spec", "podSelector")
		if m, _ := sel.(map[string]any); len(m) == 0 && list(o.doc, "spec", "ingress") == nil && list(o.doc, "spec", "egress") == nil {
			denyAll = slices.Contains(toStrings(list(o.doc, "spec", "policyTypes")), "Egress")
			continue
		}
		app := str(sel, "matchLabels", "app")
		for _, rule := range list(o.doc, "spec", "ingress") {
			for _, from := range list(rule, "from") {
				if str(from, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") != "monitoring" {
					admitted[app] = true
				}
			}
		}
	}
	if !denyAll {
		t.Error("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress)")
	}
	for app := range admitted {
		if app != "textdesk-api" {
			t.Errorf("%s admits traffic from outside monitoring; only the api may", app)
		}
	}
	if !admitted["textdesk-api"] {
		t.Error("the api admits no traffic: webhooks could not reach it")
	}
}

// libraryPrefixes are variables read by libraries rather than config.Config: the
// Temporal SDK's environment configuration and OpenTelemetry's exporters.
var libraryPrefixes = []string{"TEMPORAL_", "OTEL_"}

// The ConfigMap names only variables textdesk reads: a typo there is silently ignored.
func TestConfigMapNamesKnownVariables(t *testing.T) {
	objs, _ := load(t)
	known := map[string]bool{}
	ct := reflect.TypeFor[config.Config]()
	for i := range ct.NumField() {
		if name, _, _ := strings.Cut(ct.Field(i).Tag.Get("env"), ","); name != "" {
			known[name] = true
		}
	}
	isKnown := func(name string) bool {
		return known[name] || slices.ContainsFunc(libraryPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
	}
	if len(known) < 10 {
		t.Fatalf("read %d variables from config.Config's env tags", len(known))
	}
	for _, o := range objs {
		if o.kind() == "ConfigMap" {
			for k := range get(o.doc, "data").(map[string]any) {
				if !isKnown(k) {
					t.Errorf("ConfigMap %s sets %s, which textdesk does not read (config.Config)", o.name(), k)
				}
			}
		}
		for _, c := range containers(o) {
			for _, e := range list(c, "env") {
				if n := str(e, "name"); !isKnown(n) {
					t.Errorf("%s %s sets %s, which textdesk does not read", o.kind(), o.name(), n)
				}
			}
		}
	}
}

// The image builds with the Go go.mod asks for.
func TestDockerfileGoVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+)`).FindSubmatch(docker)
	if want == nil || got == nil || string(want[1]) != string(got[1]) {
		t.Errorf("Dockerfile builds with Go %s, go.mod wants %s", got, want)
	}
	if !strings.Contains(string(docker), "-tags production") {
		t.Error("the image must be built with -tags production (no emulator, no dev)")
	}
}
