# textdesk — run `make dev` to start everything, `make test` to test everything.
GO ?= go
# The Temporal CLI (dev server) is pinned: v1.5.1 is the last release whose go.mod has
# no replace directive, so `go install` can build it from the module proxy. It stays out
# of textdesk's go.mod and is cached in bin/ (and Go's build cache).
TEMPORAL_CLI_VERSION := v1.5.1
TEMPORAL_STAMP := bin/.temporal-$(TEMPORAL_CLI_VERSION)

export TEMPORAL_CLI := $(CURDIR)/bin/temporal

# golangci-lint is pinned too and, like the Temporal CLI, installed into bin/ outside
# textdesk's go.mod. Its configuration is .golangci.yml.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_STAMP := bin/.golangci-lint-$(GOLANGCI_LINT_VERSION)

# How long `make fuzz` runs each fuzz target (every func Fuzz* in a _test.go file).
FUZZ_TIME ?= 3s

.PHONY: dev cluster chaos-cluster bench-cluster test test-unit test-integration build vet lint fuzz fmt clean bench bench-quick chaos web web-test

build: bin/textdesk

# The binary embeds the console (web/public), so it is built after it.
bin/textdesk: web FORCE
	$(GO) build -o $@ ./cmd/textdesk

## web: the agent console (web/), built into web/public for the binary to embed.
# npm ci only when the lockfile is newer than the installed tree, so a rebuild is ~1 s.
# SKIP_WEB=1 skips it (the Go side then serves a "console not built" page, and the
# bundle-size test skips, saying so).
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web: $(if $(SKIP_WEB),,web/node_modules/.package-lock.json)
ifeq ($(SKIP_WEB),)
	cd web && npm run --silent build
endif

## web-test: the console's typecheck and unit tests (fast; part of make test).
web-test: $(if $(SKIP_WEB),,web/node_modules/.package-lock.json)
ifeq ($(SKIP_WEB),)
	cd web && npm run --silent typecheck && npm run --silent test
endif

$(TEMPORAL_STAMP):
	@mkdir -p bin
	@echo "building the Temporal CLI $(TEMPORAL_CLI_VERSION) (first time: several minutes)"
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)
	@rm -f bin/.temporal-* && touch $@

bin/temporal: $(TEMPORAL_STAMP)

# `make cluster` (docs/cluster.md) runs a real Temporal server and Temporal Web, also
# pinned and built into bin/ outside textdesk's go.mod. Server v1.32.1: v1.32.2 and the
# newest ui-server need Go 1.26.10 and this toolchain is older (GOTOOLCHAIN=local);
# neither module has a replace directive, so `go install` builds them as it does the CLI.
# The SQL tool comes from the same module version as the server (its schemas are embedded).
TEMPORAL_SERVER_VERSION := v1.32.1
TEMPORAL_SERVER_STAMP := bin/.temporal-server-$(TEMPORAL_SERVER_VERSION)
TEMPORAL_UI_VERSION := v2.55.0
TEMPORAL_UI_STAMP := bin/.temporal-ui-server-$(TEMPORAL_UI_VERSION)

$(TEMPORAL_SERVER_STAMP):
	@mkdir -p bin/.build-temporal-server
	@echo "building the Temporal server $(TEMPORAL_SERVER_VERSION) and its SQL tool (first time: several minutes)"
	GOBIN=$(CURDIR)/bin/.build-temporal-server $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mv bin/.build-temporal-server/server bin/temporal-server
	mv bin/.build-temporal-server/sql bin/temporal-sql-tool
	@rm -rf bin/.build-temporal-server bin/.temporal-server-* && touch $@

bin/temporal-server bin/temporal-sql-tool: $(TEMPORAL_SERVER_STAMP)

$(TEMPORAL_UI_STAMP):
	@mkdir -p bin/.build-temporal-ui
	@echo "building Temporal Web (ui-server) $(TEMPORAL_UI_VERSION)"
	GOBIN=$(CURDIR)/bin/.build-temporal-ui $(GO) install github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION)
	mv bin/.build-temporal-ui/server bin/temporal-ui-server
	@rm -rf bin/.build-temporal-ui bin/.temporal-ui-server-* && touch $@

bin/temporal-ui-server: $(TEMPORAL_UI_STAMP)

## cluster: a production-shaped stack: Postgres, Temporal's frontend, history, matching
## and worker services as separate processes on Postgres, Temporal Web, the emulator,
## two api replicas behind a load balancer, two workers (docs/cluster.md).
cluster: bin/textdesk bin/temporal-server bin/temporal-ui-server
	./bin/textdesk cluster

## dev: run Postgres, the Temporal dev server, the Twilio emulator, api and worker.
dev: bin/textdesk bin/temporal
	./bin/textdesk dev

$(GOLANGCI_STAMP):
	@mkdir -p bin
	@echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) (first time: a few minutes)"
	GOBIN=$(CURDIR)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@rm -f bin/.golangci-lint-* && touch $@

## test: vet, lint, fuzzing (bounded), unit tests, and integration tests against real
## Postgres + Temporal.
test: vet lint fuzz web web-test bin/temporal
	$(if $(SKIP_WEB),TEXTDESK_WEB_SKIPPED=1) $(GO) test -race -count=1 -timeout 15m ./...

## lint: golangci-lint (gosec, staticcheck, errcheck, ...; .golangci.yml).
lint: $(GOLANGCI_STAMP)
	./bin/golangci-lint run ./...

## fuzz: every fuzz target for FUZZ_TIME (default 3s) each: no panic, no 5xx on any input.
## Targets are found by name (func FuzzX in a _test.go file), so a new one is run too.
fuzz:
	@set -e; for f in $$(git grep -l '^func Fuzz' -- '*_test.go'); do \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz ./$$(dirname $$f) $$fn ($(FUZZ_TIME))"; \
	    $(GO) test ./$$(dirname $$f)/ -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZ_TIME) >/tmp/fuzz-$$$$.log 2>&1 || { cat /tmp/fuzz-$$$$.log; rm -f /tmp/fuzz-$$$$.log; exit 1; }; \
	  done; \
	done; rm -f /tmp/fuzz-$$$$.log

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

# The load and fault harness (issue #6): never part of `make test`. Each run starts its
# own Postgres, Temporal dev server and bin/textdesk processes in a temporary directory.
bin/loadgen: FORCE
	$(GO) build -o $@ ./cmd/loadgen

## bench: engine benchmarks (~7 min); results added to docs/benchmarks.md.
bench: bin/textdesk bin/temporal bin/loadgen
	./bin/loadgen bench

## bench-quick: the same measurements and ratios on small numbers (~1 min); printed only.
bench-quick: bin/textdesk bin/temporal bin/loadgen
	./bin/loadgen bench -quick -out ""

## chaos: fault suite, the dev-server scenarios (~5 min) then the cluster ones (~5 min, on
## make cluster's topology); prints a table, adds it to docs/benchmarks.md, fails on any loss.
chaos: bin/textdesk bin/temporal bin/loadgen bin/temporal-server
	./bin/loadgen chaos -suites dev,cluster

## chaos-cluster: only the fault suite's cluster scenarios (~5 min).
chaos-cluster: bin/textdesk bin/temporal bin/loadgen bin/temporal-server
	./bin/loadgen chaos -cluster

## bench-cluster: the ingest benchmark on the dev server and on make cluster's topology,
## side by side with same-run baselines (~10 min); added to docs/benchmarks.md.
bench-cluster: bin/textdesk bin/temporal bin/loadgen bin/temporal-server
	./bin/loadgen bench -cluster

.PHONY: bench-api
## bench-api: seed 100,000 conversations in a throwaway Postgres, time the inbox, contact
## and search endpoints (p50/p99 against GET /v1/me) with their query plans (~3-5 min);
## replaces the "API (make bench-api)" section of docs/benchmarks.md.
bin/apibench: FORCE
	$(GO) build -o $@ ./cmd/apibench

bench-api: bin/apibench
	./bin/apibench -out docs/benchmarks.md

FORCE:

# --- make screenshots (issue 12): owned by the console's browser tests -------------------
.PHONY: screenshots
## screenshots: a stack with demo data, and a PNG of each main console screen, light and
## dark, written to docs/console/ by real Chromium (e2e/console_screenshots_test.go).
screenshots: web bin/temporal
	$(GO) test -count=1 -v -run '^TestScreenshots$$' ./e2e -screenshots=$(CURDIR)/docs/console
