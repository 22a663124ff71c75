package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/textdesk/textdesk/store"
)

// credWatch ends event streams whose credential stops letting its user in (session
// ended or expired, token revoked, user disabled). It checks every open stream's
// credential together, in one query per interval per process, however many streams
// are open, and marks the sessions of open streams used (an open console is use).
type credWatch struct {
	store    *store.Store
	log      *slog.Logger
	idle     time.Duration
	interval time.Duration

	mu     sync.Mutex
	subs   map[*watched]struct{}
	cancel context.CancelFunc // stops the checker; nil when no stream is open
}

type watched struct {
	sessionID, tokenID string
	end                context.CancelFunc
}

// watch registers a stream's credential; end is called when it no longer holds. The
// returned func unregisters it.
func (cw *credWatch) watch(cred credential, end context.CancelFunc) func() {
	w := &watched{tokenID: cred.tokenID, end: end}
	if cred.session != nil {
		w.sessionID = cred.session.ID
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.subs == nil {
		cw.subs = map[*watched]struct{}{}
	}
	cw.subs[w] = struct{}{}
	if cw.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cw.cancel = cancel
		go cw.run(ctx)
	}
	return func() {
		cw.mu.Lock()
		defer cw.mu.Unlock()
		delete(cw.subs, w)
		if len(cw.subs) == 0 && cw.cancel != nil {
			cw.cancel()
			cw.cancel = nil
		}
	}
}

func (cw *credWatch) run(ctx context.Context) {
	tick := time.NewTicker(cw.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			cw.check(ctx)
		}
	}
}

// check ends the streams whose credential no longer holds. If Postgres cannot be
// asked, streams stay open until it can (as they do while events cannot be read).
func (cw *credWatch) check(ctx context.Context) {
	cw.mu.Lock()
	var sessions, tokens []string
	for w := range cw.subs {
		if w.sessionID != "" {
			sessions = append(sessions, w.sessionID)
		} else {
			tokens = append(tokens, w.tokenID)
		}
	}
	cw.mu.Unlock()
	if len(sessions) > 0 {
		if err := cw.store.TouchSessions(ctx, sessions); err != nil && ctx.Err() == nil {
			cw.log.Warn("event streams: sessions not marked used", "error", err)
		}
	}
	live, err := cw.store.LiveCredentials(ctx, sessions, tokens, cw.idle)
	if err != nil {
		if ctx.Err() == nil {
			cw.log.Warn("event streams: credentials not checked; retrying", "error", err)
		}
		return
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	for w := range cw.subs {
		if !live[w.sessionID] && !live[w.tokenID] {
			w.end()
		}
	}
}
