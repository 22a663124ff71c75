// Package loadgen is the load and fault harness (issue #6): it starts textdesk's real
// processes on a throwaway Postgres and file-backed Temporal dev server, drives them only
// through their public doors (signed Twilio webhooks, the REST API, the emulator), and
// writes what it measured to docs/benchmarks.md.
//
//   - stack: the processes (Postgres, Temporal, api, worker, emulator, baseline worker)
//   - door: clients for the public doors (signed webhooks, REST, emulator records)
//   - baseline: the minimal workflow the product is compared with
//   - bench: the engine benchmarks (`make bench`, `make bench-quick`)
//   - chaos: the fault suite (`make chaos`)
//   - stats, report: percentiles and the markdown report
package loadgen
