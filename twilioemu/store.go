package twilioemu

import (
	"slices"
	"sync"
	"time"
)

// Directions and statuses as Twilio spells them.
const (
	DirectionOutbound = "outbound-api"
	DirectionInbound  = "inbound"

	StatusQueued      = "queued"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusUndelivered = "undelivered"
	StatusReceived    = "received"
)

// Message is the emulator's record of a message.
type Message struct {
	Sid                 string    `json:"sid"`
	AccountSid          string    `json:"account_sid"`
	From                string    `json:"from"`
	To                  string    `json:"to"`
	MessagingServiceSid string    `json:"messaging_service_sid,omitempty"`
	Body                string    `json:"body"`
	MediaURLs           []string  `json:"media_urls,omitempty"`
	Status              string    `json:"status"`
	Direction           string    `json:"direction"`
	NumSegments         int       `json:"num_segments"`
	StatusCallback      string    `json:"status_callback,omitempty"`
	ValidityPeriod      int       `json:"validity_period,omitempty"`
	ErrorCode           int       `json:"error_code,omitempty"`
	ErrorMessage        string    `json:"error_message,omitempty"`
	DateCreated         time.Time `json:"date_created"`
	DateUpdated         time.Time `json:"date_updated"`
	DateSent            time.Time `json:"date_sent,omitzero"` // zero until sent
	// ReceivedAt is when the emulator received the request, to the nanosecond (Twilio's
	// dates have whole seconds); tests measure send rates with it.
	ReceivedAt time.Time `json:"received_at"`
}

func (m Message) clone() Message {
	m.MediaURLs = slices.Clone(m.MediaURLs)
	return m
}

// store holds every message (outbound and inbound) in creation order.
// All access goes through copies so callers never share mutable state.
type store struct {
	mu    sync.RWMutex
	order []string // sids, oldest first
	bySid map[string]*entry
	seq   uint64
}

type entry struct {
	seq uint64 // creation order; list cursors refer to it
	msg Message
}

func newStore() *store {
	return &store{bySid: make(map[string]*entry)}
}

func (s *store) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.bySid[m.Sid] = &entry{seq: s.seq, msg: m.clone()}
	s.order = append(s.order, m.Sid)
}

// poolNumber is a number of Messaging Service mss's sender pool: the To of the first
// inbound message that reached it ("" if none did).
func (s *store) poolNumber(mss string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sid := range s.order {
		if m := s.bySid[sid].msg; m.Direction == DirectionInbound && m.MessagingServiceSid == mss {
			return m.To
		}
	}
	return ""
}

func (s *store) get(sid string) (Message, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.bySid[sid]
	if !ok {
		return Message{}, false
	}
	return e.msg.clone(), true
}

// seqOf returns the creation sequence of sid, for list cursors.
func (s *store) seqOf(sid string) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.bySid[sid]
	if !ok {
		return 0, false
	}
	return e.seq, true
}

// update applies fn to the stored message; false if it no longer exists
// (e.g. after a reset).
func (s *store) update(sid string, fn func(*Message)) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.bySid[sid]
	if !ok {
		return Message{}, false
	}
	fn(&e.msg)
	return e.msg.clone(), true
}

// listed is a message plus its creation sequence.
type listed struct {
	seq uint64
	msg Message
}

// newestFirst returns the messages matching keep, newest first.
func (s *store) newestFirst(keep func(Message) bool) []listed {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []listed
	for i := len(s.order) - 1; i >= 0; i-- {
		e := s.bySid[s.order[i]]
		if keep == nil || keep(e.msg) {
			out = append(out, listed{seq: e.seq, msg: e.msg.clone()})
		}
	}
	return out
}

// oldestFirst returns the messages matching keep in creation order.
func (s *store) oldestFirst(keep func(Message) bool) []Message {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []Message{}
	for _, sid := range s.order {
		e := s.bySid[sid]
		if keep == nil || keep(e.msg) {
			out = append(out, e.msg.clone())
		}
	}
	return out
}

func (s *store) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = nil
	s.bySid = make(map[string]*entry)
	// seq keeps counting so cursors from before a reset never match.
}

// Messages returns a snapshot of every outbound message created through
// the REST API, in creation order.
func (e *Emulator) Messages() []Message {
	return e.store.oldestFirst(func(m Message) bool {
		return m.Direction == DirectionOutbound
	})
}
