package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/textdesk/textdesk/conversation"
)

const (
	batchPath     = "/v1/scheduled-messages/batch"
	maxBatchItems = 1000
	// maxBatchBody fits 1,000 items of full-length bodies (1,000 characters, most of
	// them 3 bytes in UTF-8) with room for keys, numbers and JSON.
	maxBatchBody = 8 << 20
	// batchConcurrency bounds the items queued at once: each one is an
	// update-with-start on a conversation workflow; more than this only queues behind
	// Temporal and Postgres on a small machine and starves other requests.
	batchConcurrency = 8
	// batchBudget is how long a batch may spend queueing, well inside the http.Server's
	// write timeout (60 s by default), so the caller always gets its per-item answer.
	// Items not reached in time are refused as unavailable; retrying the batch is safe.
	batchBudget       = 45 * time.Second
	maxIdempotencyKey = 255
)

// The statuses of a batch item.
const (
	batchCreated   = "created"
	batchDuplicate = "duplicate"
	batchRefused   = "refused"
)

// batchItem is one message of a batch: a scheduleRequest with its own key. The fields
// are spelled out rather than embedding scheduleRequest, so that a type error names
// the field as the client wrote it ("body", not "scheduleRequest.body").
type batchItem struct {
	IdempotencyKey string    `json:"idempotency_key"`
	TeamID         string    `json:"team_id"`
	To             string    `json:"to"`
	Body           *string   `json:"body"`
	SendAt         time.Time `json:"send_at"`
	// TemplateID is recognised so its item gets a clear refusal, not "unknown field".
	TemplateID *string `json:"template_id"`
}

func (it batchItem) request() scheduleRequest {
	return scheduleRequest{TeamID: it.TeamID, To: it.To, Body: it.Body, SendAt: it.SendAt}
}

// batchResult answers one item, in the item's position.
type batchResult struct {
	Status string  `json:"status"`
	ID     *string `json:"id"`
	// Code and Error are the code and message the single endpoint answers with.
	Code  *string `json:"code"`
	Error *string `json:"error"`
}

func refused(err error) batchResult {
	code, msg := conversation.ErrorCode(err), conversation.ErrorMessage(err)
	return batchResult{Status: batchRefused, Code: &code, Error: &msg}
}

// postScheduledBatch: POST /v1/scheduled-messages/batch {"items": [...]} — up to 1,000
// scheduled messages, each checked and queued exactly as POST /v1/scheduled-messages
// would with the item's idempotency_key as its Idempotency-Key. Each item is answered
// on its own (created, duplicate or refused with the reason); only a body that is not
// a batch at all is refused whole.
func (s *Server) postScheduledBatch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := decodeJSONUpTo(w, r, &req, maxBatchBody); err != nil {
		writeError(w, r, err)
		return
	}
	switch {
	case len(req.Items) == 0:
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"items" must hold 1 to %d scheduled messages`, maxBatchItems))
		return
	case len(req.Items) > maxBatchItems:
		writeError(w, r, conversation.Errorf(conversation.EUnprocessable,
			`"items" holds %d scheduled messages; a batch takes at most %d, send the rest in another batch`, len(req.Items), maxBatchItems))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), batchBudget)
	defer cancel()
	rc := r.WithContext(ctx)

	results := make([]batchResult, len(req.Items))
	items := make([]batchItem, len(req.Items))
	// An item repeating an earlier item's key (in the same team) waits for it, then
	// runs: it is then a duplicate of it, or refused if it asks for something else.
	first := map[[2]string]int{}
	var repeats []int
	var g errgroup.Group
	g.SetLimit(batchConcurrency)
	for i, raw := range req.Items {
		if err := decodeBatchItem(raw, &items[i]); err != nil {
			results[i] = refused(err)
			continue
		}
		k := [2]string{items[i].TeamID, items[i].IdempotencyKey}
		if _, seen := first[k]; seen {
			repeats = append(repeats, i)
			continue
		}
		first[k] = i
		g.Go(func() error {
			results[i] = s.scheduleBatchItem(rc, items[i])
			return nil
		})
	}
	_ = g.Wait() // the items' errors are in results
	for _, i := range repeats {
		results[i] = s.scheduleBatchItem(rc, items[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// decodeBatchItem reads one item with the single endpoint's JSON rules and checks what
// only a batch item has: its idempotency key.
func decodeBatchItem(raw json.RawMessage, it *batchItem) error {
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '{' {
		return conversation.Errorf(conversation.EInvalid, "the item must be a JSON object")
	}
	if err := decodeJSONFrom(bytes.NewReader(raw), it, maxBatchBody); err != nil {
		return err
	}
	switch {
	case it.IdempotencyKey == "":
		return conversation.Errorf(conversation.EInvalid, `"idempotency_key" is required: each item needs its own, so a retried batch queues nothing twice`)
	case utf8.RuneCountInString(it.IdempotencyKey) > maxIdempotencyKey:
		return conversation.Errorf(conversation.EInvalid, `"idempotency_key" is longer than %d characters`, maxIdempotencyKey)
	case it.TemplateID != nil:
		return conversation.Errorf(conversation.EUnprocessable, `"template_id" is not taken in a batch yet; send the text in "body"`)
	}
	return nil
}

func (s *Server) scheduleBatchItem(r *http.Request, it batchItem) (res batchResult) {
	// Items run on goroutines of their own, out of reach of the request's panic
	// recovery: a bug met by one item refuses that item, not the process.
	defer func() {
		if p := recover(); p != nil {
			loggerFrom(r).Error("batch item panicked", "panic", p)
			res = refused(conversation.Errorf(conversation.EInternal, "internal error"))
		}
	}()
	outOfTime := conversation.Errorf(conversation.EUnavailable,
		"not queued: the batch ran out of time before this item; send the batch again (the idempotency keys make that safe)")
	if r.Context().Err() != nil {
		return refused(outOfTime)
	}
	sm, existed, err := s.scheduleOne(r, it.request(), it.IdempotencyKey)
	if err != nil && r.Context().Err() != nil {
		// The budget ran out during the item: it may or may not be queued, and sending
		// the batch again settles which; it is not an internal error.
		return refused(outOfTime)
	}
	if err != nil {
		if conversation.ErrorCode(err) == conversation.EInternal {
			loggerFrom(r).Error("batch item failed", "error", err)
		}
		return refused(err)
	}
	status := batchCreated
	if existed {
		status = batchDuplicate
	}
	return batchResult{Status: status, ID: &sm.ID}
}
