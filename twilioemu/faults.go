package twilioemu

import "net/http"

// faults is the seam for fault injection (planned: a share of 500/429/slow
// responses, error codes for chosen numbers, duplicate or out-of-order
// callbacks). The emulator consults it at each decision point; noFaults
// is Twilio's happy path and the only implementation today.
type faults interface {
	// beforeREST may delay or fail an authenticated REST request; a
	// non-nil error is written to the client instead of the normal reply.
	beforeREST(r *http.Request) *apiError
	// onCreate may reject a message that passed validation, e.g. a
	// chosen To number answering 21610.
	onCreate(m Message) *apiError
	// lifecycle lists the status transitions after creation, in the order
	// their callbacks are sent.
	lifecycle(m Message) []transition
}

// transition is one step of a message's delivery lifecycle.
type transition struct {
	Status       string
	ErrorCode    int // non-zero for failed/undelivered
	ErrorMessage string
}

type noFaults struct{}

func (noFaults) beforeREST(*http.Request) *apiError { return nil }
func (noFaults) onCreate(Message) *apiError         { return nil }

func (noFaults) lifecycle(Message) []transition {
	return []transition{{Status: StatusQueued}, {Status: StatusSent}, {Status: StatusDelivered}}
}
