// Package validate holds input checks shared by the domain services.
package validate

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// Email validates an e-mail address and returns it trimmed; the error is a
// VALIDATION error naming field.
func Email(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := Text(field, s, MaxEmail); err != nil {
		return "", err
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return "", errcode.Invalid(field, "not a valid e-mail address")
	}
	return s, nil
}

// OptionalEmail is Email for an optional address; blank counts as absent.
func OptionalEmail(field string, s *string) (*string, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	e, err := Email(field, *s)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Trimmed returns s without surrounding space, nil when that is empty.
func Trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}

// Page is the page size a list was asked for: def when first is nil,
// VALIDATION (naming the limit) outside 0..max.
func Page(first *int, def, max int) (int, error) {
	n := def
	if first != nil {
		n = *first
	}
	if n < 0 || n > max {
		return 0, errcode.Invalid("first", fmt.Sprintf("first must be between 0 and %d", max)).With("limit", max)
	}
	return n, nil
}
