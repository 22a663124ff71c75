package conversation

import (
	"errors"
	"fmt"
)

// Error codes are the product's vocabulary for failure. The HTTP layer maps each to one
// status code in one place; the workflow carries them across Temporal as the
// ApplicationError type.
const (
	EInvalid       = "invalid"       // malformed input the caller can fix
	EUnprocessable = "unprocessable" // well-formed but refused by a rule (e.g. too long)
	EUnauthorized  = "unauthorized"  // no or bad credentials
	EForbidden     = "forbidden"     // authenticated, not allowed
	ENotFound      = "not_found"     // does not exist, or is invisible to the caller
	EConflict      = "conflict"      // the current state forbids it (closed conversation, ...)
	EUnavailable   = "unavailable"   // a dependency is down; retry later
	EInternal      = "internal"      // a bug; details are logged, not returned
)

// Error is an error with a code and a message written for the person who sees it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the human message of the first *Error in err's chain, or a
// generic one: internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
