package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// MessagingService is a Twilio Messaging Service linked to a team, with the team's
// numbers known to be in its sender pool (those an inbound message reached through
// the service, or an admin put in it).
type MessagingService struct {
	SID      string    `json:"sid"`
	Numbers  []string  `json:"numbers"`
	LinkedAt time.Time `json:"linked_at"`
}

// TeamNumber is one of a team's numbers with its sending settings.
type TeamNumber struct {
	Number string `json:"number"`
	// SendRate is segments per second; nil means the worker's SMS_DEFAULT_SEND_RATE.
	SendRate *float64 `json:"send_rate"`
	// MessagingServiceSID: the service whose pool it is in; its sends carry it.
	MessagingServiceSID *string `json:"messaging_service_sid"`
}

// LinkMessagingService links a Messaging Service to a team. A service linked to this
// team or another already is a conflict, never moved in silence.
func (s *Store) LinkMessagingService(ctx context.Context, teamID, sid string) (MessagingService, error) {
	var ms MessagingService
	err := s.pool.QueryRow(ctx, `INSERT INTO team_messaging_services (sid, team_id) VALUES ($1, $2)
		ON CONFLICT (sid) DO NOTHING RETURNING created_at`, sid, teamID).Scan(&ms.LinkedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		var owner string
		if s.pool.QueryRow(ctx, `SELECT team_id::text FROM team_messaging_services WHERE sid = $1`, sid).Scan(&owner) == nil && owner == teamID {
			return ms, conversation.Errorf(conversation.EConflict, "messaging service %s is linked to this team already", sid)
		}
		return ms, conversation.Errorf(conversation.EConflict, "messaging service %s is linked to another team; unlink it there first", sid)
	}
	ms.SID, ms.Numbers = sid, []string{}
	return ms, err
}

// UnlinkMessagingService takes a Messaging Service from a team; its numbers stay the
// team's and send with their own From only. A service the team has not linked is not
// found.
func (s *Store) UnlinkMessagingService(ctx context.Context, teamID, sid string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM team_messaging_services WHERE team_id = $1 AND sid = $2`, teamID, sid)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "messaging service %s is not linked to the team", sid)
	}
	return err
}

// MessagingServices lists a team's Messaging Services, oldest link first, each with
// the team's numbers in its pool.
func (s *Store) MessagingServices(ctx context.Context, teamID string) ([]MessagingService, error) {
	rows, err := s.pool.Query(ctx, `SELECT ms.sid, ms.created_at,
			coalesce((SELECT array_agg(n.number ORDER BY n.number) FROM team_numbers n
				WHERE n.team_id = ms.team_id AND n.messaging_service_sid = ms.sid), '{}')
		FROM team_messaging_services ms WHERE ms.team_id = $1 ORDER BY ms.created_at, ms.sid`, teamID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (MessagingService, error) {
		var ms MessagingService
		return ms, r.Scan(&ms.SID, &ms.LinkedAt, &ms.Numbers)
	})
}

// AddServiceNumber gives a team a number that an inbound message reached through one
// of its Messaging Services, recording the service; a number another team owns stays
// theirs, and one the team has keeps a service it already had.
func (s *Store) AddServiceNumber(ctx context.Context, teamID, number, sid string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO team_numbers (number, team_id, messaging_service_sid) VALUES ($1, $2, $3)
		ON CONFLICT (number) DO UPDATE SET messaging_service_sid = excluded.messaging_service_sid
		WHERE team_numbers.team_id = excluded.team_id AND team_numbers.messaging_service_sid IS NULL`,
		number, teamID, sid)
	return err
}

// NoteServiceNumber records that an inbound message reached the team's number through
// Messaging Service sid: the number is in its pool, so its sends carry the service. A
// service not linked to the team, or a number already recorded in it, changes nothing.
func (s *Store) NoteServiceNumber(ctx context.Context, teamID, number, sid string) error {
	_, err := s.pool.Exec(ctx, `UPDATE team_numbers SET messaging_service_sid = $3
		WHERE number = $1 AND team_id = $2 AND messaging_service_sid IS DISTINCT FROM $3
		  AND EXISTS (SELECT 1 FROM team_messaging_services WHERE sid = $3 AND team_id = $2)`, number, teamID, sid)
	return err
}

// NumberPatch changes a team number's sending settings; a field left nil is kept, and
// Clear... resets it (the default rate; no service).
type NumberPatch struct {
	SendRate            *float64
	ClearSendRate       bool
	MessagingServiceSID *string
	ClearService        bool
}

// PatchTeamNumber changes one of a team's numbers. A service must be one of the team's
// (else the change is refused as invalid); a number the team does not own is not found.
func (s *Store) PatchTeamNumber(ctx context.Context, teamID, number string, p NumberPatch) (TeamNumber, error) {
	if !validUUID(teamID) {
		return TeamNumber{}, conversation.Errorf(conversation.ENotFound, "team not found")
	}
	if p.MessagingServiceSID != nil {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM team_messaging_services WHERE sid = $1 AND team_id = $2`,
			*p.MessagingServiceSID, teamID).Scan(&n); err != nil {
			return TeamNumber{}, err
		}
		if n == 0 {
			return TeamNumber{}, conversation.Errorf(conversation.EUnprocessable,
				"messaging_service_sid: %s is not linked to the team; link it with POST /v1/teams/{id}/messaging-services first", *p.MessagingServiceSID)
		}
	}
	var n TeamNumber
	err := s.pool.QueryRow(ctx, `UPDATE team_numbers SET
			send_rate = CASE WHEN $3 THEN NULL ELSE coalesce($4::numeric, send_rate) END,
			messaging_service_sid = CASE WHEN $5 THEN NULL ELSE coalesce($6, messaging_service_sid) END
		WHERE team_id = $1 AND number = $2
		RETURNING number, send_rate::float8, messaging_service_sid`,
		teamID, number, p.ClearSendRate, p.SendRate, p.ClearService, p.MessagingServiceSID).
		Scan(&n.Number, &n.SendRate, &n.MessagingServiceSID)
	if errors.Is(err, pgx.ErrNoRows) {
		err = conversation.Errorf(conversation.ENotFound, "number %s is not one of the team's numbers", number)
	}
	return n, err
}

// TeamNumbers lists a team's numbers with their sending settings.
func (s *Store) TeamNumbers(ctx context.Context, teamID string) ([]TeamNumber, error) {
	if !validUUID(teamID) {
		return nil, conversation.Errorf(conversation.ENotFound, "team not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT number, send_rate::float8, messaging_service_sid FROM team_numbers
		WHERE team_id = $1 ORDER BY number`, teamID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TeamNumber, error) {
		var n TeamNumber
		return n, r.Scan(&n.Number, &n.SendRate, &n.MessagingServiceSID)
	})
}

// SendRateOf is the rate ReserveSendSlot gives a sender: its own, else defaultRate.
func (s *Store) SendRateOf(ctx context.Context, number string, defaultRate float64) (float64, error) {
	var rate float64
	err := s.pool.QueryRow(ctx, `SELECT `+senderRateSQL("$1", "$2"), number, defaultRate).Scan(&rate)
	return rate, err
}

// senderRateSQL is the send rate of the sender sender (an SQL expression): its
// team_numbers.send_rate, else defaultRate.
func senderRateSQL(sender, defaultRate string) string {
	return `coalesce((SELECT n.send_rate::float8 FROM team_numbers n WHERE n.number = ` + sender + `), ` + defaultRate + `::float8)`
}
