package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const userAgent = "yiwang-bench-load/1"

// newClient builds the one client all workers share: keep-alive with an
// idle pool as large as the worker count (so no connection is closed and
// re-dialled between requests), no proxy (the measurement is of the server,
// and the loopback check must see the real peer) and no redirect following
// (a redirect to the login page is a failure to report, not to measure).
func newClient(cfg config) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.allowRemote {
		dialer.Control = loopbackOnlyDial
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        cfg.clients + 16,
		MaxIdleConnsPerHost: cfg.clients + 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// routeStats is what one worker, or the merged run, saw for one path.
type routeStats struct {
	hist      *histogram // latency of every answered request, any status
	codes     map[int]int64
	transport int64  // requests that got no complete answer
	firstErr  string // one transport error, to say what went wrong
}

func newRouteStats(n int) []routeStats {
	s := make([]routeStats, n)
	for i := range s {
		s[i] = routeStats{hist: newHistogram(), codes: map[int]int64{}}
	}
	return s
}

func (s *routeStats) merge(o routeStats) {
	s.hist.Merge(o.hist)
	for code, n := range o.codes {
		s.codes[code] += n
	}
	s.transport += o.transport
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
}

type phaseStats struct {
	routes      []routeStats // one per URL, in -path order
	elapsed     time.Duration
	interrupted bool
}

type runner struct {
	client *http.Client
	urls   []string
	creds  credentials
}

// phase runs clients workers that take request numbers from one counter
// (so -n is exact and paths go round-robin) until limit requests were
// issued (limit > 0) or the deadline passed. Requests in flight at the
// deadline are finished and counted; the elapsed time includes them.
func (r *runner) phase(ctx context.Context, clients int, limit int64, deadline time.Time) phaseStats {
	var issued atomic.Int64
	perWorker := make([][]routeStats, clients)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() { perWorker[w] = r.work(ctx, &issued, limit, deadline) })
	}
	wg.Wait()
	out := phaseStats{routes: newRouteStats(len(r.urls)), elapsed: time.Since(start), interrupted: ctx.Err() != nil}
	for _, ws := range perWorker {
		for i := range ws {
			out.routes[i].merge(ws[i])
		}
	}
	return out
}

func (r *runner) work(ctx context.Context, issued *atomic.Int64, limit int64, deadline time.Time) []routeStats {
	stats := newRouteStats(len(r.urls))
	for ctx.Err() == nil && time.Now().Before(deadline) {
		seq := issued.Add(1) - 1
		if limit > 0 && seq >= limit {
			break
		}
		i := int(seq % int64(len(r.urls)))
		latency, code, err := r.get(ctx, r.urls[i])
		if err != nil {
			if ctx.Err() != nil {
				break // interrupted by the user, not a server failure
			}
			stats[i].transport++
			if stats[i].firstErr == "" {
				stats[i].firstErr = err.Error()
			}
			continue
		}
		stats[i].hist.Record(latency)
		stats[i].codes[code]++
	}
	return stats
}

// get times one request from sending it to having read the whole body.
func (r *runner) get(ctx context.Context, url string) (time.Duration, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("User-Agent", userAgent)
	r.creds.apply(req)
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	latency := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	return latency, resp.StatusCode, nil
}
