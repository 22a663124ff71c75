package cluster

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// maxBufferedBody is the largest request body the balancer keeps so that it can resend
// a request to the other replica when the first one refused the connection. Webhooks
// and API calls are far smaller; a larger body is streamed and not retried.
const maxBufferedBody = 1 << 20

// Balancer is the local stand-in for a cloud load balancer in front of the api
// replicas: round robin over the replicas whose /readyz answers 200, X-Forwarded-For/
// -Host/-Proto set (the replicas run with TRUSTED_PROXY), the Host header kept (so the
// replicas' origin checks and Twilio signatures over PUBLIC_URL hold), responses
// flushed at once (Server-Sent Events stream through). A request whose connection a
// replica refused never reached it, so it is sent to the next replica instead.
type Balancer struct {
	backends  []*backend
	next      atomic.Uint64
	transport http.RoundTripper
	log       *slog.Logger
}

type backend struct {
	url     *url.URL
	healthy atomic.Bool
}

// NewBalancer balances over targets (base URLs such as http://127.0.0.1:8090); all
// start healthy until the first health check says otherwise.
func NewBalancer(targets []string, log *slog.Logger) (*Balancer, error) {
	b := &Balancer{log: log, transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}}
	for _, t := range targets {
		u, err := url.Parse(t)
		if err != nil {
			return nil, err
		}
		be := &backend{url: u}
		be.healthy.Store(true)
		b.backends = append(b.backends, be)
	}
	if len(b.backends) == 0 {
		return nil, errors.New("cluster: load balancer without backends")
	}
	return b, nil
}

// pick returns the next healthy backend in turn after skipping those in tried; when
// none is healthy, the next untried one (a health check may lag a recovery).
func (b *Balancer) pick(tried map[*backend]bool) *backend {
	n := uint64(len(b.backends))
	start := b.next.Add(1)
	var fallback *backend
	for i := range n {
		be := b.backends[(start+i)%n]
		if tried[be] {
			continue
		}
		if be.healthy.Load() {
			return be
		}
		if fallback == nil {
			fallback = be
		}
	}
	return fallback
}

func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	replayable := r.Body == nil || r.Body == http.NoBody
	if !replayable && r.ContentLength >= 0 && r.ContentLength <= maxBufferedBody {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, maxBufferedBody+1)); err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		replayable = true
	}
	tried := map[*backend]bool{}
	for {
		be := b.pick(tried)
		if be == nil {
			http.Error(w, "no api replica is reachable; try again shortly", http.StatusBadGateway)
			return
		}
		tried[be] = true
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		retry := false
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(be.url)
				pr.Out.Host = pr.In.Host
				pr.SetXForwarded()
			},
			Transport:     b.transport,
			FlushInterval: -1,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				if isDialError(err) {
					be.healthy.Store(false)
					if replayable && len(tried) < len(b.backends) {
						retry = true
						return
					}
				}
				if !errors.Is(err, context.Canceled) {
					b.log.Warn("load balancer: api replica failed", "replica", be.url.Host, "error", err)
				}
				http.Error(w, "api replica "+be.url.Host+" failed: "+err.Error(), http.StatusBadGateway)
			},
		}
		rp.ServeHTTP(w, r)
		if !retry {
			return
		}
	}
}

// isDialError reports whether the request failed before reaching the backend.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// CheckHealth polls every backend's /readyz every interval until ctx ends; a replica
// that is not ready (stopping, lost its database) is taken out of the rotation.
func (b *Balancer) CheckHealth(ctx context.Context, interval time.Duration) {
	c := &http.Client{Timeout: interval, Transport: b.transport}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, be := range b.backends {
			ok := probe(ctx, c, be.url.String()+"/readyz")
			if was := be.healthy.Swap(ok); was != ok {
				b.log.Info("load balancer: replica health changed", "replica", be.url.Host, "healthy", ok)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func probe(ctx context.Context, c *http.Client, u string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
