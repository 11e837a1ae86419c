package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// credentials are what each request carries. They are never printed.
type credentials struct {
	token   string
	cookies []*http.Cookie
}

func (c credentials) apply(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for _, ck := range c.cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// loginError is a refused or broken login (exit status 1).
type loginError struct{ msg string }

func (e *loginError) Error() string { return e.msg }

// login posts the credentials to /api/v1/login and returns what the
// workers send: the bearer token, or in cookie mode the session cookies
// the server set.
func login(ctx context.Context, client *http.Client, base, user, password string, cookieMode bool) (credentials, error) {
	endpoint, err := targetURL(base, "/api/v1/login")
	if err != nil {
		return credentials{}, err
	}
	body, err := json.Marshal(map[string]string{"username": user, "password": password})
	if err != nil {
		return credentials{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return credentials{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return credentials{}, &loginError{msg: "login: " + err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return credentials{}, &loginError{msg: "login: reading the answer: " + err.Error()}
	}
	// Belt and braces: whatever the server echoes, the password is not shown.
	scrub := func(s string) string {
		if password == "" {
			return s
		}
		return strings.ReplaceAll(s, password, "***")
	}
	if resp.StatusCode != http.StatusOK {
		var ae apiError
		if json.Unmarshal(raw, &ae) == nil && ae.Error.Message != "" {
			msg := fmt.Sprintf("login as %s failed (%s): %s", user, resp.Status, scrub(ae.Error.Message))
			if ae.Error.Code != "" {
				msg += " [" + scrub(ae.Error.Code) + "]"
			}
			return credentials{}, &loginError{msg: msg}
		}
		return credentials{}, &loginError{msg: fmt.Sprintf("login as %s failed (%s): %s", user, resp.Status, scrub(snippet(raw)))}
	}
	if cookieMode {
		cookies := resp.Cookies()
		if len(cookies) == 0 {
			return credentials{}, &loginError{msg: "login succeeded but set no cookie: -cookie cannot be used against this server"}
		}
		return credentials{cookies: cookies}, nil
	}
	var ok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(raw, &ok); err != nil {
		return credentials{}, &loginError{msg: "login: the answer is not the expected JSON: " + err.Error()}
	}
	if ok.Token == "" {
		return credentials{}, &loginError{msg: "login: the answer carries no token"}
	}
	return credentials{token: ok.Token}, nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return "(empty body)"
	}
	const limit = 160
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}
