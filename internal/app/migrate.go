package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/searchattrs"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/workflows"
)

// MigrateOptions are `textdesk migrate`'s flags.
type MigrateOptions struct {
	// SkipSearchAttributes: apply the database migrations only (the search attributes
	// were added by other means, e.g. tcld on Temporal Cloud).
	SkipSearchAttributes bool
}

// Migrate applies the database migrations, then registers textdesk's search
// attributes in the Temporal namespace. Both are idempotent. Where the credentials may
// not add search attributes (Temporal Cloud), the error names the commands that do.
func Migrate(ctx context.Context, cfg config.Config, log *slog.Logger, o MigrateOptions) error {
	if err := cfg.Require("DATABASE_URL"); err != nil {
		return err
	}
	if err := migrations.Up(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	if o.SkipSearchAttributes {
		log.Info("search attributes not registered (--skip-search-attributes); api and worker check them at start")
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// Registering search attributes sends no payloads, so migrate needs no payload keys.
	plain := cfg
	plain.PayloadEncryption, plain.PayloadKeys, plain.PayloadKeysFile = "off", "", ""
	c, err := DialTemporal(ctx, plain, log)
	if err != nil {
		return fmt.Errorf("%w (search attributes not registered; --skip-search-attributes skips this step)", err)
	}
	defer c.Close()
	err = searchattrs.Ensure(ctx, c, cfg.TemporalNamespace, workflows.SearchAttributes())
	var refused *searchattrs.RefusedError
	if errors.As(err, &refused) {
		return fmt.Errorf("%w\nThen run `textdesk migrate --skip-search-attributes` (or again with credentials that may add them)", err)
	}
	if err != nil {
		return fmt.Errorf("register search attributes: %w", err)
	}
	log.Info("search attributes registered", "namespace", cfg.TemporalNamespace, "count", len(workflows.SearchAttributes()))
	return nil
}
