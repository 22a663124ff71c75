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

// setPasswordTTL matches the API's invitation links.
const setPasswordTTL = 72 * time.Hour

// runCreateAdmin creates an admin on a new install (or gives an existing admin a way
// back in) and prints a one-time set-password link and a fresh API token; only their
// hashes are stored. An existing agent is made an admin only with --promote.
func runCreateAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email (required)")
	name := fs.String("name", "Administrator", "the admin's display name (for a new user)")
	promote := fs.Bool("promote", false, "make an existing agent with this email an admin")
	if err := fs.Parse(args); err != nil {
		return err
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
		if user, err = st.UpsertUser(ctx, *name, *email, store.RoleAdmin); err != nil {
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
			fmt.Fprintf(os.Stdout, "%s (%s) is an admin already: issuing a new set-password link and token\n", user.Email, user.ID)
		}
		if existing.Disabled {
			if _, err := st.SetDisabled(ctx, user.ID, false); err != nil {
				return err
			}
			fmt.Fprintf(os.Stdout, "%s was disabled: enabled again\n", user.Email)
		}
	}
	secret, expires, err := st.CreatePasswordReset(ctx, user.ID, setPasswordTTL)
	if err != nil {
		return err
	}
	token := store.NewToken()
	if err := st.AddToken(ctx, user.ID, token, "create-admin"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "set a password (once, before %s): %s/set-password?token=%s\ntoken: %s\n(store them now: they are not shown again)\n",
		expires.UTC().Format(time.RFC3339), cfg.PublicURL, secret, token)
	return nil
}
