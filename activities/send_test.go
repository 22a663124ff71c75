package activities

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/store"
)

func TestRateLimitedErrorIsRetriedAtTheSlot(t *testing.T) {
	err := rateLimited("+14155550100", "m1", 1500*time.Millisecond)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeRateLimited || app.NonRetryable() ||
		app.NextRetryDelay() != 1500*time.Millisecond || app.Category() != temporal.ApplicationErrorCategoryBenign {
		t.Fatalf("rateLimited = %#v; want a retryable, benign %s error retried in 1.5s", err, ErrTypeRateLimited)
	}
	if !strings.Contains(err.Error(), "+14155550100") {
		t.Errorf("message %q does not name the sender", err)
	}
}

func TestStatusCallbackNamesTheMessage(t *testing.T) {
	a := &Activities{StatusCallbackURL: "https://td.example.com/webhooks/twilio/status"}
	if got := a.statusCallback(context.Background(), "0b8f5d2c-1c3e-4d77-8f0e-3a6c1d9e2b44"); got != "https://td.example.com/webhooks/twilio/status?mid=0b8f5d2c-1c3e-4d77-8f0e-3a6c1d9e2b44" {
		t.Errorf("statusCallback = %s", got)
	}
	a.StatusCallbackURL = "https://td.example.com/status?tenant=a"
	if got := a.statusCallback(context.Background(), "m1"); got != "https://td.example.com/status?mid=m1&tenant=a" {
		t.Errorf("with a query: %s", got)
	}
	if got := (&Activities{}).statusCallback(context.Background(), "m1"); got != "" {
		t.Errorf("no callback URL: %q", got)
	}
}

func TestValidity(t *testing.T) {
	cases := map[time.Duration]int{-time.Second: 1, 0: 1, 1500 * time.Millisecond: 2, time.Hour: 3600, 20 * time.Hour: 36000}
	for remaining, want := range cases {
		if got := validitySeconds(remaining); got != want {
			t.Errorf("validitySeconds(%s) = %d; want %d", remaining, got, want)
		}
	}
	if (&Activities{}).validity() != DefaultValidityPeriod || (&Activities{ValidityPeriod: 24 * time.Hour}).validity() != 10*time.Hour {
		t.Error("validity: want the default, and Twilio's 10h at most")
	}
	if (&Activities{}).sendRate() != 1 || (&Activities{DefaultSendRate: 100}).sendRate() != 100 {
		t.Error("sendRate: want 1 by default")
	}
}

func TestHelpTextAndRecordedBy(t *testing.T) {
	if got := HelpText(store.Team{Name: "Acme", HelpText: "  Call us. "}); got != "Call us." {
		t.Errorf("HelpText = %q", got)
	}
	if got := HelpText(store.Team{Name: "Acme"}); !strings.HasPrefix(got, "Acme: reply STOP") || !strings.Contains(got, "START") {
		t.Errorf("default HelpText = %q", got)
	}
	if got := recordedBy(context.Background()); got != "" {
		t.Errorf("recordedBy outside an activity = %q", got)
	}
}
