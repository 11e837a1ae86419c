// Package apperr defines the small set of error kinds that every layer of
// yiwang speaks. A use case returns an *Error with a message meant for the
// person in front of the screen (in Chinese); the web layer maps the kind to
// an HTTP status in exactly one place. Anything that is not an *Error is an
// internal fault: it is logged once and the person sees a generic message.
package apperr

import (
	"errors"
	"fmt"
)

// Code is the machine-readable kind of an error; it is also the "code" field
// of the API error shape.
type Code string

const (
	Invalid          Code = "invalid"
	NotFound         Code = "not_found"
	Conflict         Code = "conflict"
	Forbidden        Code = "forbidden"
	Unauthenticated  Code = "unauthenticated"
	TooLarge         Code = "too_large"
	RateLimited      Code = "rate_limited"
	MethodNotAllowed Code = "method_not_allowed"
	Internal         Code = "internal"
)

// Error is an error a person can act on.
type Error struct {
	Code    Code
	Message string
	// Fields holds per-field messages for forms and JSON bodies
	// (field name → message). Optional.
	Fields map[string]string
	// Err is the underlying cause, never shown to the person.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap keeps cause for the log while showing msg to the person.
func Wrap(code Code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Err: cause}
}

// InvalidFields reports several field errors at once, so a form can show
// every problem in one go instead of one per submission.
func InvalidFields(fields map[string]string) *Error {
	return &Error{Code: Invalid, Message: "提交的内容有误，请按提示修改", Fields: fields}
}

// CodeOf returns the kind of err; errors that are not *Error are Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Fields collects per-field validation messages; Err returns nil when empty.
type FieldErrors map[string]string

func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return InvalidFields(f)
}

// Message is the person-facing message of err ("" for internal errors).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
