package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"yiwang/internal/apperr"
	"yiwang/internal/identity"
)

// FuzzDecodeJSON: whatever the body, decoding answers nil or a person-facing
// invalid/too_large error, never a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"username":"citizen1","password":"yiwang-demo"}`, `{}`, ``, `[]`, `null`, `{"a":1}`, `{"username":1}`,
		`{"username":"a"} {"b":2}`, `{"username":"\ud800"}`, `{"username":"` + "\x00" + `"}`, `{"elderMode":"yes"}`,
		`{"code":"x","name":"y","creditCode":[1],"regionCode":{}}`, `{"username":"a","username":"b"}`, "\xff\xfe{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&loginRequest{}, &registerRequest{}, &preferencesRequest{}, &identity.NewDepartment{}, &revealRequest{}}
		for _, dst := range targets {
			err := decodeJSONFrom(bytes.NewReader(body), dst)
			if err == nil {
				continue
			}
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Fatalf("decode returned a non-apperr error %T: %v", err, err)
			}
			if e.Code != apperr.Invalid && e.Code != apperr.TooLarge {
				t.Fatalf("decode returned code %s for %q", e.Code, body)
			}
			if e.Message == "" {
				t.Fatal("error without a message")
			}
		}
		// Through the size limit as the handlers use it.
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		var in loginRequest
		if err := decodeJSON(rec, req, &in); err != nil && apperr.CodeOf(err) == apperr.Internal {
			t.Fatalf("internal error for %q", body)
		}
	})
}
