package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outbound abuse limits (SMS toll fraud): a team texts only the countries it allows,
// and at most its daily quota of messages per UTC day.

// AllowedRegions are the ISO regions the team may text: its allowed_countries, or its
// default region when it sets none.
func (t Team) AllowedRegions() []string {
	if len(t.AllowedCountries) > 0 {
		return t.AllowedCountries
	}
	return []string{t.DefaultRegion}
}

// Quota is the team's daily send quota: its own, else def.
func (t Team) Quota(def int) int {
	if t.DailySendQuota != nil {
		return *t.DailySendQuota
	}
	return def
}

// utcDay is the quota's day of at.
func utcDay(at time.Time) time.Time {
	y, m, d := at.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// SentToday counts the team's messages handed to Twilio on the UTC day of at.
func (s *Store) SentToday(ctx context.Context, teamID string, at time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM team_sends WHERE team_id = $1 AND day = $2`, teamID, utcDay(at)).Scan(&n)
	return n, err
}

// SendAllowance is what the send activity checks a message against: its team's
// allowed regions and daily quota.
type SendAllowance struct {
	TeamID  string
	Regions []string
	Quota   *int // nil: the configured default
}

// SendAllowanceFor reads the limits of the team a message belongs to.
func (s *Store) SendAllowanceFor(ctx context.Context, messageID string) (SendAllowance, error) {
	var a SendAllowance
	var allowed []string
	var region string
	err := s.pool.QueryRow(ctx, `SELECT t.id, t.allowed_countries, t.default_region, t.daily_send_quota
		FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN teams t ON t.id = c.team_id
		WHERE m.id = $1`, messageID).Scan(&a.TeamID, &allowed, &region, &a.Quota)
	if err != nil {
		return a, notFound(err, "message")
	}
	a.Regions = Team{AllowedCountries: allowed, DefaultRegion: region}.AllowedRegions()
	return a, nil
}

// ClaimDailySend counts message messageID against its team's quota for the UTC day of
// at, unless quota messages were already counted that day (false). A message counts
// once, however often its send is retried. A per-team advisory lock makes the check
// and the insert one step across concurrent sends.
func (s *Store) ClaimDailySend(ctx context.Context, teamID, messageID string, quota int, at time.Time) (bool, error) {
	ok := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('team_sends:' || $1))`, teamID); err != nil {
			return err
		}
		var counted bool
		var n int
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM team_sends WHERE message_id = $1),
			(SELECT count(*) FROM team_sends WHERE team_id = $2 AND day = $3)`, messageID, teamID, utcDay(at)).Scan(&counted, &n)
		if err != nil || counted {
			ok = counted
			return err
		}
		if n >= quota {
			return nil
		}
		ok = true
		_, err = tx.Exec(ctx, `INSERT INTO team_sends (message_id, team_id, day) VALUES ($1, $2, $3)`, messageID, teamID, utcDay(at))
		return err
	})
	return ok, err
}
