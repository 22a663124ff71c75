package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/store"
)

// runCreateAdmin creates (or re-keys) an admin on a new install and prints a fresh API
// token once; only its hash is stored.
func runCreateAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email (required)")
	name := fs.String("name", "Administrator", "the admin's display name")
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
	user, err := st.UpsertUser(ctx, *name, *email, store.RoleAdmin)
	if err != nil {
		return err
	}
	token := store.NewToken()
	if err := st.AddToken(ctx, user.ID, token, "create-admin"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "admin %s (%s)\ntoken: %s\n(store it now: it is not shown again)\n", user.Email, user.ID, token)
	return nil
}
