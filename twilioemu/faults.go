package twilioemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults are the emulator's departures from Twilio's happy path, so the product's
// handling of each can be tested. The zero value is the happy path. Set them with
// Config.Faults, Emulator.SetFaults or POST /emulator/faults (this struct as JSON).
type Faults struct {
	// REST faults, tried in order; the first that applies to a request is injected.
	REST []RESTFault `json:"rest,omitempty"`
	// CreateErrors makes creating a message to a To number ending in a key fail with
	// that Twilio error code, e.g. {"0001": 21211}. The longest matching suffix wins.
	CreateErrors map[string]int `json:"create_errors,omitempty"`
	// DeliveryErrors makes a message to a To number ending in a key end "undelivered"
	// with that error code (reported by status callback), e.g. {"0003": 30003}.
	DeliveryErrors map[string]int `json:"delivery_errors,omitempty"`
	// CallbackDelay is added before every status callback.
	CallbackDelay Duration `json:"callback_delay,omitempty"`
	// CallbackOrder: "" sends each status callback as its transition happens; "reverse"
	// or "shuffle" send them after the whole lifecycle ran, in that order.
	CallbackOrder string `json:"callback_order,omitempty"`
	// DuplicateInbound posts every simulated inbound webhook this many extra times,
	// concurrently, as Twilio's retries can.
	DuplicateInbound int `json:"duplicate_inbound,omitempty"`
	// Seed makes the random choices reproducible (0: a random seed).
	Seed uint64 `json:"seed,omitempty"`
}

// RESTFault fails or delays a share of REST requests.
type RESTFault struct {
	// Kind is "500" (Twilio error 20500), "429" (Twilio error 20429) or "slow".
	Kind string `json:"kind"`
	// Rate is the share of matching requests that get the fault, in (0, 1]; 0 means all.
	Rate float64 `json:"rate,omitempty"`
	// Method limits the fault to one HTTP method ("POST" creates, "GET" fetches and lists).
	Method string `json:"method,omitempty"`
	// Delay holds a "slow" response this long. The request is processed first, so a
	// client that gives up meanwhile has still created its message, as with Twilio.
	Delay Duration `json:"delay,omitempty"`
	// Count stops the fault after this many injections (0: no limit).
	Count int `json:"count,omitempty"`
}

// Fault kinds.
const (
	Fault500  = "500"
	Fault429  = "429"
	FaultSlow = "slow"
)

// Callback orders.
const (
	CallbackReverse = "reverse"
	CallbackShuffle = "shuffle"
)

// Validate reports the first setting the emulator cannot apply.
func (f Faults) Validate() error {
	for i, r := range f.REST {
		switch {
		case r.Kind != Fault500 && r.Kind != Fault429 && r.Kind != FaultSlow:
			return fmt.Errorf("rest[%d].kind %q: want %q, %q or %q", i, r.Kind, Fault500, Fault429, FaultSlow)
		case r.Rate < 0 || r.Rate > 1:
			return fmt.Errorf("rest[%d].rate %v: want a share in (0, 1]", i, r.Rate)
		case r.Kind == FaultSlow && r.Delay <= 0:
			return fmt.Errorf("rest[%d]: a slow fault needs a delay", i)
		case r.Count < 0:
			return fmt.Errorf("rest[%d].count %d: want >= 0", i, r.Count)
		case r.Method != "" && r.Method != http.MethodGet && r.Method != http.MethodPost:
			return fmt.Errorf("rest[%d].method %q: want GET or POST", i, r.Method)
		}
	}
	for suffix, code := range f.CreateErrors {
		if suffix == "" || code <= 0 {
			return fmt.Errorf("create_errors: %q: %d: want a number suffix and a Twilio error code", suffix, code)
		}
	}
	for suffix, code := range f.DeliveryErrors {
		if suffix == "" || code <= 0 {
			return fmt.Errorf("delivery_errors: %q: %d: want a number suffix and a Twilio error code", suffix, code)
		}
	}
	switch {
	case f.CallbackOrder != "" && f.CallbackOrder != CallbackReverse && f.CallbackOrder != CallbackShuffle:
		return fmt.Errorf("callback_order %q: want \"\", %q or %q", f.CallbackOrder, CallbackReverse, CallbackShuffle)
	case f.CallbackDelay < 0:
		return errors.New("callback_delay must not be negative")
	case f.DuplicateInbound < 0 || f.DuplicateInbound > 20:
		return fmt.Errorf("duplicate_inbound %d: want 0 to 20", f.DuplicateInbound)
	}
	return nil
}

// ParseFaults reads Faults from JSON (e.g. the EMULATOR_FAULTS setting) and validates them.
func ParseFaults(data []byte) (Faults, error) {
	var f Faults
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Faults{}, fmt.Errorf("twilioemu: faults: %w", err)
	}
	if err := f.Validate(); err != nil {
		return Faults{}, fmt.Errorf("twilioemu: faults: %w", err)
	}
	return f, nil
}

// Duration is a time.Duration written in JSON as a Go duration string ("250ms", "2s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"250ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// faults is the seam where the emulator consults its fault configuration at each
// decision point. It is safe for concurrent use; the zero state is the happy path.
type faults struct {
	mu   sync.Mutex
	cfg  Faults
	rng  *rand.Rand
	used []int // injections per REST fault
}

func (fs *faults) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	seed := f.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	fs.cfg, fs.rng, fs.used = f, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), make([]int, len(f.REST))
}

func (fs *faults) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.cfg
}

// beforeREST may fail an authenticated REST request (a non-nil error is written
// instead of the normal reply) or ask for its response to be held for delay.
func (fs *faults) beforeREST(r *http.Request) (fail *apiError, delay time.Duration) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.cfg.REST {
		if (f.Method != "" && f.Method != r.Method) || (f.Count > 0 && fs.used[i] >= f.Count) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && fs.rng.Float64() >= f.Rate {
			continue
		}
		fs.used[i]++
		switch f.Kind {
		case Fault500:
			return errorf(http.StatusInternalServerError, codeInternal, "Internal Server Error (emulated)"), 0
		case Fault429:
			return errorf(http.StatusTooManyRequests, codeTooManyRequests, "Too Many Requests (emulated)"), 0
		default:
			return nil, time.Duration(f.Delay)
		}
	}
	return nil, 0
}

// onCreate may reject a message that passed validation, e.g. a chosen To number
// answering 21610.
func (fs *faults) onCreate(m Message) *apiError {
	fs.mu.Lock()
	code := bySuffix(fs.cfg.CreateErrors, m.To)
	fs.mu.Unlock()
	if code == 0 {
		return nil
	}
	status := http.StatusBadRequest
	switch code {
	case codeTooManyRequests:
		status = http.StatusTooManyRequests
	case codeAuthenticate:
		status = http.StatusUnauthorized
	case codeInternal:
		status = http.StatusInternalServerError
	}
	msg, ok := createErrorMessages[code]
	if !ok {
		msg = "Emulated Twilio error %d for %s."
		return errorf(status, code, msg, code, m.To)
	}
	return errorf(status, code, msg, m.To)
}

// Twilio's wording for the errors tests inject most.
var createErrorMessages = map[int]string{
	21211: "The 'To' number %s is not a valid phone number.",
	21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: %s.",
	21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination (%s).",
	21610: "Attempt to send to unsubscribed recipient %s.",
	21612: "The 'To' phone number %s is not currently reachable using the 'From' phone number.",
	21614: "'To' number %s is not a valid mobile number.",
}

// lifecycle lists the status transitions after creation, in the order they happen.
func (fs *faults) lifecycle(m Message) []transition {
	fs.mu.Lock()
	code := bySuffix(fs.cfg.DeliveryErrors, m.To)
	fs.mu.Unlock()
	if code != 0 {
		return []transition{{Status: StatusQueued}, {Status: StatusSent},
			{Status: StatusUndelivered, ErrorCode: code, ErrorMessage: fmt.Sprintf("Emulated delivery error %d", code)}}
	}
	return []transition{{Status: StatusQueued}, {Status: StatusSent}, {Status: StatusDelivered}}
}

// callbackPlan says how to send a message's n status callbacks: an extra delay before
// each, and the order (nil: each as its transition happens).
func (fs *faults) callbackPlan(n int) (delay time.Duration, order []int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delay = time.Duration(fs.cfg.CallbackDelay)
	switch fs.cfg.CallbackOrder {
	case CallbackReverse:
		for i := n - 1; i >= 0; i-- {
			order = append(order, i)
		}
	case CallbackShuffle:
		order = fs.rng.Perm(n)
	}
	return delay, order
}

// inboundCopies is how many times each simulated inbound webhook is posted.
func (fs *faults) inboundCopies() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return 1 + fs.cfg.DuplicateInbound
}

// bySuffix returns the value of the longest key number ends with (0: none).
func bySuffix(m map[string]int, number string) int {
	best, code := -1, 0
	for suffix, c := range m {
		if strings.HasSuffix(number, suffix) && len(suffix) > best {
			best, code = len(suffix), c
		}
	}
	return code
}

// transition is one step of a message's delivery lifecycle.
type transition struct {
	Status       string
	ErrorCode    int // non-zero for failed/undelivered
	ErrorMessage string
}
