package store

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/textdesk/textdesk/conversation"
)

// A cursor is an opaque (time, id) position in a keyset-ordered list.
type position struct {
	time *time.Time
	id   string
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(cursor string) (position, error) {
	if cursor == "" {
		return position{id: uuid.Nil.String()}, nil
	}
	bad := conversation.Errorf(conversation.EInvalid, "cursor is not valid; pass back the next_cursor of a previous page")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return position{}, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || uuid.Validate(id) != nil {
		return position{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return position{}, bad
	}
	return position{time: &t, id: id}, nil
}
