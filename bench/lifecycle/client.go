package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"yiwang/internal/catalog"
)

const userAgent = "yiwang-bench-lifecycle/1"

// api is one keep-alive client for every worker and account.
type api struct {
	base   string
	client *http.Client
}

func newAPI(cfg config) *api {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnlyDial}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        cfg.workers + 16,
		MaxIdleConnsPerHost: cfg.workers + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return &api{base: strings.TrimSuffix(cfg.base, "/"), client: &http.Client{Transport: tr, Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is one response, read to the end.
type answer struct {
	status  int
	body    []byte
	latency time.Duration // from sending to having read the whole body
}

// errorMessage is the server's {"error":{"code","message"}} if there is one.
func (a answer) errorMessage() string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(a.body, &e) == nil && e.Error.Message != "" {
		return e.Error.Code + ": " + e.Error.Message
	}
	s := strings.Join(strings.Fields(string(a.body)), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}

func (c *api) do(ctx context.Context, method, path, token string, header map[string]string, body []byte, contentType string) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	if err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, body: b, latency: lat}, nil
}

func (c *api) postJSON(ctx context.Context, path, token string, header map[string]string, v any) (answer, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return answer{}, err
	}
	return c.do(ctx, http.MethodPost, path, token, header, b, "application/json")
}

func (c *api) getJSON(ctx context.Context, path, token string, out any) error {
	a, err := c.do(ctx, http.MethodGet, path, token, nil, nil, "")
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, a.status, a.errorMessage())
	}
	return json.Unmarshal(a.body, out)
}

// account is a logged-in demo account.
type account struct {
	user      string
	token     string
	kind      string // person | company | staff
	companyID string
	files     []string // uploaded PDFs (applicants)
}

func (c *api) login(ctx context.Context, user, password string) (*account, error) {
	a, err := c.postJSON(ctx, "/api/v1/login", "", nil, map[string]string{"username": user, "password": password})
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	if a.status != http.StatusOK {
		return nil, fmt.Errorf("login %s: %d %s", user, a.status, strings.ReplaceAll(a.errorMessage(), password, "***"))
	}
	var ok struct {
		Token string `json:"token"`
		User  struct {
			Kind    string `json:"kind"`
			Company *struct {
				ID string `json:"id"`
			} `json:"company"`
		} `json:"user"`
	}
	if err := json.Unmarshal(a.body, &ok); err != nil || ok.Token == "" {
		return nil, fmt.Errorf("login %s: no token in the answer", user)
	}
	acc := &account{user: user, token: ok.Token, kind: ok.User.Kind}
	if ok.User.Company != nil {
		acc.companyID = ok.User.Company.ID
	}
	return acc, nil
}

// upload posts one PDF as the account and returns the file id.
func (c *api) upload(ctx context.Context, acc *account, name string, pdf []byte) (string, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return "", err
	}
	if _, err := fw.Write(pdf); err != nil {
		return "", err
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	a, err := c.do(ctx, http.MethodPost, "/api/v1/files", acc.token, nil, b.Bytes(), mw.FormDataContentType())
	if err != nil {
		return "", err
	}
	if a.status != http.StatusCreated {
		return "", fmt.Errorf("upload as %s: %d %s", acc.user, a.status, a.errorMessage())
	}
	var f struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.body, &f); err != nil || f.ID == "" {
		return "", fmt.Errorf("upload as %s: no id in the answer", acc.user)
	}
	return f.ID, nil
}

// itemGuide is GET /api/v1/items/{code}: the item and its form.
type itemGuide struct {
	catalog.Item
	DepartmentCode string        `json:"department"`
	FormDefinition *catalog.Form `json:"formDefinition"`
}

// findItems returns the guides of the items to apply for: the -item codes,
// or what -q and -dept find, keeping those that run the standard workflow
// (受理 → 审查 → 决定) and may be applied for online.
func (c *api) findItems(ctx context.Context, cfg config) ([]itemGuide, error) {
	codes := cfg.items
	explicit := len(codes) > 0
	if !explicit {
		q := url.Values{"pageSize": {"100"}}
		if cfg.query != "" {
			q.Set("q", cfg.query)
		}
		if cfg.dept != "" {
			q.Set("dept", cfg.dept)
		}
		var page struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
		}
		if err := c.getJSON(ctx, "/api/v1/items?"+q.Encode(), "", &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			codes = append(codes, it.Code)
		}
	}
	var out []itemGuide
	for _, code := range codes {
		var g itemGuide
		if err := c.getJSON(ctx, "/api/v1/items/"+url.PathEscape(code), "", &g); err != nil {
			return nil, err
		}
		wf := g.Workflow
		if wf == "" && g.HandlingType != "1" {
			wf = "standard"
		}
		usable := wf == "standard" && g.OnlineDepth >= 3 && (cfg.dept == "" || g.DepartmentCode == cfg.dept)
		if !usable {
			if explicit {
				return nil, fmt.Errorf("item %s (%s): workflow %q, online depth %d, department %s: the lifecycle needs a standard-workflow item of -dept %s open to online applications",
					code, g.Name, wf, g.OnlineDepth, g.DepartmentCode, cfg.dept)
			}
			continue
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no item found (q=%q dept=%q) runs the standard workflow online", cfg.query, cfg.dept)
	}
	return out, nil
}
