package validate

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// Limits of free text, in characters (Unicode code points). Each field is
// checked once, by the domain service that writes it, with the helpers
// below; README.md ("Input limits") lists them. The ent schemas bound the
// same columns in bytes, at least four per character, so a value within
// its limit here always fits there.
const (
	// MaxName bounds names and titles: tenants, members (and their
	// externalId), customers and their company, projects, statuses.
	MaxName = 200
	// MaxTodoTitle bounds to-do titles: automation templates and the
	// comments of pinned feedback, which become to-do titles.
	MaxTodoTitle = 500
	// MaxEmail is RFC 5321's longest address.
	MaxEmail = 320
	// MaxPhone bounds phone numbers.
	MaxPhone = 50
	// MaxText bounds long free text: a move's reason and note, decline,
	// progress and completion notes, time entry notes, review and survey
	// comments.
	MaxText = 10_000
	// MaxDescription bounds a payment link's description (the provider's
	// product name).
	MaxDescription = 500
	// MaxReference bounds a revenue share payment's reference.
	MaxReference = 255
	// MaxURL and MaxSelector bound where feedback is pinned.
	MaxURL      = 2_000
	MaxSelector = 1_000
	// MaxKey bounds the keys of workflows and statuses (the schemas'
	// limit): a longer one cannot exist.
	MaxKey = 63
)

// Clean reports whether s is text every database stores: valid UTF-8
// without NUL characters (PostgreSQL refuses both).
func Clean(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// String checks that s is clean text (Clean); the error is a VALIDATION
// error naming field.
func String(field, s string) error {
	if !utf8.ValidString(s) {
		return errcode.Invalid(field, field+" must be valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errcode.Invalid(field, field+" must not contain NUL characters (U+0000)")
	}
	return nil
}

// Text checks that s is clean text of at most limit characters.
func Text(field, s string, limit int) error {
	if err := String(field, s); err != nil {
		return err
	}
	if len(s) > limit && utf8.RuneCountInString(s) > limit {
		return errcode.Invalid(field, fmt.Sprintf("%s must be at most %d characters", field, limit)).With("limit", limit)
	}
	return nil
}

// Key checks a key that is looked up: clean text of at most MaxKey
// characters. A longer key is VALIDATION rather than NOT_FOUND, so that no
// error carries it back.
func Key(field, s string) error { return Text(field, s, MaxKey) }

// Required returns s without surrounding space, checked by Text; blank is
// a VALIDATION error.
func Required(field, s string, limit int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errcode.Invalid(field, field+" must not be blank")
	}
	if err := Text(field, s, limit); err != nil {
		return "", err
	}
	return s, nil
}

// Optional is Required for an optional value: nil or blank is nil.
func Optional(field string, s *string, limit int) (*string, error) {
	t := Trimmed(s)
	if t == nil {
		return nil, nil
	}
	if err := Text(field, *t, limit); err != nil {
		return nil, err
	}
	return t, nil
}

// Truncate returns s cut to at most limit characters, for values derived
// from other input (a customer named after its e-mail address).
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	for i := range s {
		if limit == 0 {
			return s[:i]
		}
		limit--
	}
	return s
}
