package chaos

import (
	"context"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/door"
	"github.com/textdesk/textdesk/twilioemu"
)

type emulatorClient struct{ url string }

func (e *emulatorClient) SetFaults(ctx context.Context, f twilioemu.Faults) error {
	return (&door.Emulator{URL: e.url, HTTP: door.NewHTTPClient(10 * time.Second)}).SetFaults(ctx, f)
}
