package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"yiwang/internal/apperr"
)

// statusOf maps an error kind to its HTTP status: the one place it happens.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// apiError is the one error shape of the API.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code      apperr.Code       `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
}

const internalMessage = "系统繁忙，请稍后再试"

// errorBody turns any error into what the person may see, logging internal
// errors once (with the request id so the operator can find it).
func (s *Server) errorBody(r *http.Request, err error) (int, apiErrorBody) {
	var e *apperr.Error
	if errors.As(err, &e) && e.Code != apperr.Internal {
		return statusOf(e.Code), apiErrorBody{Code: e.Code, Message: e.Message, Fields: e.Fields, RequestID: requestID(r)}
	}
	s.Log.ErrorContext(r.Context(), "internal error", slog.String("request_id", requestID(r)), slog.String("path", r.URL.Path), slog.Any("err", err))
	return http.StatusInternalServerError, apiErrorBody{Code: apperr.Internal, Message: internalMessage, RequestID: requestID(r)}
}

func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorBody(r, err)
	writeJSON(w, status, apiError{Error: body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// decodeJSON reads exactly one JSON object into dst: the right content
// type, at most maxJSONBody bytes, no unknown fields, nothing after it.
// Every failure is an apperr with a message that says what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return apperr.New(apperr.Invalid, "请求体须为 JSON（Content-Type: application/json）")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	return decodeJSONFrom(r.Body, dst)
}

func decodeJSONFrom(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(err)
		}
		return apperr.New(apperr.Invalid, "请求体只能包含一个 JSON 对象")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return apperr.Newf(apperr.TooLarge, "请求体不能超过 %d 字节", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.Invalid, "请求体为空，应为 JSON 对象")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "JSON 不完整")
	case errors.As(err, &syntax):
		return apperr.Newf(apperr.Invalid, "JSON 格式错误（第 %d 字节附近）", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("字段 %s 的类型不正确，应为 %s", typ.Field, jsonTypeName(typ.Type.Kind().String())), Fields: map[string]string{typ.Field: "类型不正确"}}
		}
		return apperr.New(apperr.Invalid, "请求体应为 JSON 对象")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("未知字段 %q", name), Fields: map[string]string{name: "未知字段"}}
	}
	return apperr.Wrap(apperr.Invalid, "无法解析请求体", err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "字符串"
	case "bool":
		return "布尔值"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "数字"
	case "slice":
		return "数组"
	case "struct", "map":
		return "对象"
	}
	return kind
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }

func asAppErr(err error, target **apperr.Error) bool { return errors.As(err, target) }
