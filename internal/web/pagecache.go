package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Public pages (search results, guides, lists, the hall directory) look
// the same for every anonymous visitor but for the CSRF token in the
// header's forms, so they are rendered once with a placeholder token and
// served from memory for pageTTL, the token filled in per visitor. Pages
// for logged-in people, pages with a one-time message, and anything but a
// 200 are never cached.
const (
	pageTTL       = 2 * time.Second
	pageCacheMax  = 2048
	csrfSentinel  = "yiwang-csrf-placeholder-7f3a9c"
	elderKeyPrefx = "e1:"
)

type ctxCapture struct{}

// cachedPage is a page split at its CSRF placeholders, so serving it
// writes the pieces around the visitor's token without copying the page.
type cachedPage struct {
	parts [][]byte
	until time.Time
}

type pageCache struct {
	mu sync.RWMutex
	m  map[string]cachedPage
}

func (c *pageCache) get(key string, now time.Time) ([][]byte, bool) {
	c.mu.RLock()
	p, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.After(p.until) {
		return nil, false
	}
	return p.parts, true
}

func (c *pageCache) put(key string, body []byte, now time.Time) [][]byte {
	parts := bytes.Split(body, []byte(csrfSentinel))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= pageCacheMax {
		c.m = make(map[string]cachedPage)
	}
	c.m[key] = cachedPage{parts: parts, until: now.Add(pageTTL)}
	return parts
}

// capturing reports whether the page is being rendered for the cache.
func capturing(r *http.Request) bool { return r.Context().Value(ctxCapture{}) != nil }

// pageCapture records a rendered page instead of sending it.
type pageCapture struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (p *pageCapture) Header() http.Header         { return p.h }
func (p *pageCapture) Write(b []byte) (int, error) { return p.buf.Write(b) }
func (p *pageCapture) WriteHeader(code int)        { p.status = code }

// public wraps a page handler with the anonymous page cache.
func (s *Server) public(h pageHandler) pageHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if principal(r) != nil || r.Method != http.MethodGet {
			return h(w, r)
		}
		if _, err := r.Cookie(flashCookie); err == nil {
			return h(w, r)
		}
		key := r.URL.RequestURI()
		if elderMode(r) {
			key = elderKeyPrefx + key
		}
		now := time.Now()
		parts, ok := s.pages.get(key, now)
		if !ok {
			capture := &pageCapture{h: http.Header{}, status: http.StatusOK}
			cr := r.WithContext(context.WithValue(r.Context(), ctxCapture{}, true))
			if err := h(capture, cr); err != nil {
				return err
			}
			if capture.status != http.StatusOK || capture.h.Get("Content-Type") != "text/html; charset=utf-8" {
				// Not a plain page (a redirect, an error, a download): send as is.
				token := s.csrfToken(w, r)
				for k, v := range capture.h {
					w.Header()[k] = v
				}
				w.WriteHeader(capture.status)
				_, err := w.Write(bytes.ReplaceAll(capture.buf.Bytes(), []byte(csrfSentinel), []byte(token)))
				return err
			}
			parts = s.pages.put(key, bytes.Clone(capture.buf.Bytes()), now)
		}
		token := []byte(s.csrfToken(w, r))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Vary", "Cookie")
		n := len(token) * (len(parts) - 1)
		for _, p := range parts {
			n += len(p)
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		for i, p := range parts {
			if i > 0 {
				if _, err := w.Write(token); err != nil {
					return err
				}
			}
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	}
}
