//go:build !production

package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/twilioemu"
)

// The emulator is left out of production builds (-tags production): it signs any
// webhook it is asked to, so wherever it runs it is an unauthenticated signing oracle
// for TWILIO_AUTH_TOKEN.

// RunEmulator serves the Twilio emulator on cfg.EmulatorAddr until ctx is done.
func RunEmulator(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := cfg.Require("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"); err != nil {
		return err
	}
	var faults twilioemu.Faults
	if cfg.EmulatorFaults != "" {
		f, err := twilioemu.ParseFaults([]byte(cfg.EmulatorFaults))
		if err != nil {
			return fmt.Errorf("EMULATOR_FAULTS: %w", err)
		}
		faults = f
	}
	emu := twilioemu.New(twilioemu.Config{
		AccountSID: cfg.TwilioAccountSID,
		AuthToken:  cfg.TwilioAuthToken,
		WebhookURL: cfg.PublicURL + "/webhooks/twilio/messages",
		Logger:     log.With("component", "emulator"),
		Faults:     faults,
	})
	defer emu.Close()
	log.Info("twilio emulator listening", "addr", cfg.EmulatorAddr, "webhook", cfg.PublicURL+"/webhooks/twilio/messages")
	return emu.ListenAndServe(ctx, cfg.EmulatorAddr)
}
