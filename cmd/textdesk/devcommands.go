//go:build !production

package main

import "github.com/textdesk/textdesk/internal/app"

// The emulator and dev exist in development builds only. The production image is
// built with -tags production (deploy/Dockerfile), which leaves this file, dev.go and
// the emulator's wiring out: the emulator signs whatever webhook it is asked to, an
// unauthenticated signing oracle for the auth token, and dev starts unauthenticated
// local infrastructure with demo credentials.
func init() {
	devCommands["emulator"] = devCommand{
		usage: "emulator   run the local Twilio emulator (dev and tests only)",
		run:   app.RunEmulator,
	}
	devCommands["dev"] = devCommand{
		usage:   "dev        run everything locally: Postgres, Temporal dev server, emulator, api, worker",
		run:     runDev,
		prepare: applyDevDefaults,
	}
	devCommands["cluster"] = devCommand{
		usage:   "cluster    run a production-shaped stack locally: Temporal services as separate processes, 2 api, 2 workers (docs/cluster.md)",
		run:     runCluster,
		prepare: applyDevDefaults,
	}
}
