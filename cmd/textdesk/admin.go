package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/store"
)

// maxLinkValidity matches the API's invitation links.
const maxLinkValidity = 72 * time.Hour

// runCreateAdmin creates an admin on a new install (or gives an existing admin a way
// back in) and prints a one-time set-password link, valid for an hour by default;
// only its hash is stored. It prints no API token: its output often lands in logs (a
// Kubernetes Job's, a CI run's), where a long-lived secret would outlive the run,
// while a link is spent once used and dies within the hour anyway. The admin signs
// in with the password and creates tokens with POST /v1/me/tokens. An existing agent
// is made an admin only with --promote.
func runCreateAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email (required)")
	name := fs.String("name", "Administrator", "the admin's display name (for a new user)")
	promote := fs.Bool("promote", false, "make an existing agent with this email an admin")
	validFor := fs.Duration("link-valid-for", time.Hour, "how long the set-password link may be used (at most 72h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *validFor < time.Minute || *validFor > maxLinkValidity {
		return fmt.Errorf("--link-valid-for %s must be between 1m and %s", *validFor, maxLinkValidity)
	}
	if !strings.Contains(*email, "@") {
		return fmt.Errorf("--email is required and must be an email address")
	}
	if err := cfg.Require("DATABASE_URL"); err != nil {
		return err
	}
	if err := migrations.Up(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()

	var user store.User
	existing, err := st.LoginByEmail(ctx, *email)
	switch {
	case conversation.ErrorCode(err) == conversation.ENotFound:
		// A plain insert: an account created meanwhile is a conflict, never promoted.
		if user, err = st.CreateUser(ctx, *name, *email, store.RoleAdmin, nil); err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "created admin %s (%s)\n", user.Email, user.ID)
	case err != nil:
		return err
	case existing.Role != store.RoleAdmin && !*promote:
		return fmt.Errorf("%s is an existing %s; rerun with --promote to make them an admin", existing.Email, existing.Role)
	default:
		if user, err = st.UpsertUser(ctx, existing.Name, existing.Email, store.RoleAdmin); err != nil {
			return err
		}
		if existing.Role != store.RoleAdmin {
			fmt.Fprintf(os.Stdout, "promoted %s (%s) from %s to admin\n", user.Email, user.ID, existing.Role)
		} else {
			fmt.Fprintf(os.Stdout, "%s (%s) is an admin already: issuing a new set-password link\n", user.Email, user.ID)
		}
		if existing.Disabled {
			if _, err := st.SetDisabled(ctx, user.ID, false); err != nil {
				return err
			}
			fmt.Fprintf(os.Stdout, "%s was disabled: enabled again\n", user.Email)
		}
	}
	secret, expires, err := st.CreatePasswordReset(ctx, user.ID, *validFor)
	if err != nil {
		return err
	}
	if err := st.RecordAudit(ctx, store.AuditEvent{Actor: "create-admin", Action: "user.create_admin", TargetType: "user", TargetID: user.ID,
		Details: map[string]any{"email": user.Email, "promote": *promote, "link_expires_at": expires}}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "set a password (once, before %s): %s/set-password?token=%s\n"+
		"then sign in and create API tokens with POST /v1/me/tokens (none is printed here)\n",
		expires.UTC().Format(time.RFC3339), cfg.PublicURL, secret)
	return nil
}
