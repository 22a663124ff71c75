package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// maxExportDays bounds a team export, so one request cannot dump a team's whole past.
const maxExportDays = 366

// exportFlushEvery rows the response is flushed, so a large export reaches the client
// as it is read rather than when the handler ends.
const exportFlushEvery = 200

// conversationRange reads ?from= and ?to= (RFC 3339; from inclusive, to exclusive).
// required: both must be given and at most maxExportDays apart.
func conversationRange(r *http.Request, required bool) (store.ConversationRange, error) {
	var rng store.ConversationRange
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"from", &rng.From}, {"to", &rng.To}} {
		v := r.URL.Query().Get(b.name)
		if v == "" {
			if required {
				return rng, conversation.Errorf(conversation.EInvalid, "%s is required (RFC 3339, e.g. 2026-01-01T00:00:00Z)", b.name)
			}
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return rng, conversation.Errorf(conversation.EInvalid, "%s: %q is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)", b.name, v)
		}
		*b.dst = t
	}
	if !rng.From.IsZero() && !rng.To.IsZero() && !rng.To.After(rng.From) {
		return rng, conversation.Errorf(conversation.EUnprocessable, "to (%s) must be after from (%s)",
			rng.To.Format(time.RFC3339), rng.From.Format(time.RFC3339))
	}
	if required && rng.To.Sub(rng.From) > maxExportDays*24*time.Hour {
		return rng, conversation.Errorf(conversation.EUnprocessable, "the range is %.0f days long; the limit is %d days",
			rng.To.Sub(rng.From).Hours()/24, maxExportDays)
	}
	return rng, nil
}

// exportContact: GET /v1/contacts/{id}/conversations/export?from=&to=&format=csv|json
// — the messages of the contact's conversations the caller may see, in their teams.
func (s *Server) exportContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleContact(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	s.export(w, r, false, "contact-"+c.ID, store.ExportQuery{ContactID: c.ID, Teams: user.TeamIDs, Viewer: viewerOf(user)})
}

// exportTeam: GET /v1/teams/{id}/conversations/export?from=&to=&format=csv|json — the
// messages of the team's conversations the caller may see; the range is required.
func (s *Server) exportTeam(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.export(w, r, true, "team-"+team.ID, store.ExportQuery{TeamID: team.ID, Teams: []string{team.ID}, Viewer: viewerOf(userFrom(r))})
}

// export checks the parameters, then streams the rows as CSV or NDJSON.
func (s *Server) export(w http.ResponseWriter, r *http.Request, rangeRequired bool, name string, q store.ExportQuery) {
	rng, err := conversationRange(r, rangeRequired)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q.Range = rng
	format := r.URL.Query().Get("format")
	var enc rowEncoder
	switch format {
	case "", "csv":
		format = "csv"
		enc = newCSVRows(w)
	case "json":
		enc = ndjsonRows{json.NewEncoder(w)}
	default:
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "format: %q is not csv or json", format))
		return
	}
	contentType := map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson"}[format]
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="conversations-%s.%s"`, name,
		map[string]string{"csv": "csv", "json": "ndjson"}[format]))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := enc.header(); err != nil {
		return
	}
	flush := http.NewResponseController(w)
	n := 0
	err = s.Store.ExportMessages(r.Context(), q, func(row store.ExportRow) error {
		if err := enc.row(row); err != nil {
			return err
		}
		if n++; n%exportFlushEvery == 0 {
			if err := enc.flush(); err != nil {
				return err
			}
			_ = flush.Flush() // a writer that cannot flush still gets every row at the end
		}
		return nil
	})
	if err == nil {
		err = enc.flush()
	}
	if err != nil {
		// The status is already sent: the client sees a cut-off body; the log says why.
		s.Log.Warn("export cut short", "export", name, "rows", n, "err", err)
	}
}

// rowEncoder writes an export in one format.
type rowEncoder interface {
	header() error
	row(store.ExportRow) error
	flush() error
}

// exportColumns are the CSV columns, in order (the JSON fields have the same names).
var exportColumns = []string{"conversation_id", "team_id", "contact_phone", "opened_at", "closed_at", "status",
	"wrap_up_reason", "message_id", "message_at", "direction", "author", "body", "delivery_status"}

type csvRows struct{ w *csv.Writer }

func newCSVRows(w http.ResponseWriter) csvRows { return csvRows{csv.NewWriter(w)} }

func (c csvRows) header() error { return c.w.Write(exportColumns) }

func (c csvRows) row(r store.ExportRow) error {
	closed, reason := "", ""
	if r.ClosedAt != nil {
		closed = r.ClosedAt.UTC().Format(time.RFC3339)
	}
	if r.WrapUpReason != nil {
		reason = *r.WrapUpReason
	}
	cells := []string{r.ConversationID, r.TeamID, r.ContactPhone, r.OpenedAt.UTC().Format(time.RFC3339), closed, r.Status,
		reason, r.MessageID, r.MessageAt.UTC().Format(time.RFC3339Nano), r.Direction, r.Author, r.Body, r.DeliveryStatus}
	for i := range cells {
		cells[i] = spreadsheetSafe(cells[i]) // every cell: the phone's "+" too, which a spreadsheet reads as a number
	}
	return c.w.Write(cells)
}

func (c csvRows) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// spreadsheetSafe keeps a spreadsheet from reading a cell as a formula (CSV
// injection: a customer texts "=HYPERLINK(...)"): a cell starting with = + - @, a tab
// or a carriage return gets a leading apostrophe, which spreadsheets show as text.
func spreadsheetSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// ndjsonRows writes one JSON object a line (application/x-ndjson), so a client can
// read a large export line by line; values are as stored (no apostrophes).
type ndjsonRows struct{ e *json.Encoder }

func (ndjsonRows) header() error                 { return nil }
func (n ndjsonRows) row(r store.ExportRow) error { return n.e.Encode(r) }
func (ndjsonRows) flush() error                  { return nil }
