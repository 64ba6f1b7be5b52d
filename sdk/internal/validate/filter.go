package validate

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// Limits of a where filter (entgql's generated XWhereInput). The database
// would refuse a filter over them in its own way (SQLite: "Expression tree
// is too large", PostgreSQL: stack depth), after the work of building it.
const (
	// MaxFilterDepth bounds the nesting: the filter itself is level 1, and
	// every not, and, or and hasXWith one level further.
	MaxFilterDepth = 8
	// MaxFilterConditions bounds the field conditions of the whole filter.
	MaxFilterConditions = 100
	// MaxFilterValues bounds the values of one list condition (xIn,
	// xNotIn).
	MaxFilterValues = 100
	// MaxFilterText bounds every string a condition compares with.
	MaxFilterText = 1_000
)

// whereSuffix names the generated filter types (ProjectWhereInput, ...).
const whereSuffix = "WhereInput"

// Filter checks a where filter of entgql (a *ent.XWhereInput; nil is no
// filter) before it reaches the database: at most MaxFilterDepth levels and
// MaxFilterConditions conditions, lists of at most MaxFilterValues values,
// clean strings of at most MaxFilterText characters, and no empty filter
// below the top (ent refuses not: {}, or: [{}], ...; an empty filter at
// the top means no filter). field names the argument, e.g. "where"; the
// errors are VALIDATION and name the offending spot.
//
// Fields of type *XWhereInput and []*XWhereInput are nested filters; every
// other set field (a pointer, a non-empty list, a true flag, a custom
// predicate) is one condition.
func Filter(field string, where any) error {
	v := reflect.ValueOf(where)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	if !isFilter(v.Type()) {
		return fmt.Errorf("validate: %T is not a where filter", where)
	}
	c := filterCheck{field: field}
	_, err := c.filter(field, v.Elem(), 1)
	return err
}

type filterCheck struct {
	field      string
	conditions int
}

// filter checks one (non-nil) filter and returns its conditions, nested
// ones included.
func (c *filterCheck) filter(path string, v reflect.Value, depth int) (int, error) {
	if depth > MaxFilterDepth {
		return 0, errcode.Invalid(c.field, fmt.Sprintf("filter nests deeper than %d levels", MaxFilterDepth)).With("limit", MaxFilterDepth)
	}
	n := 0
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() || fv.IsZero() {
			continue
		}
		at := path + "." + jsonName(f)
		switch {
		case isFilter(f.Type):
			sub, err := c.nested(at, fv, depth)
			if err != nil {
				return 0, err
			}
			n += sub
		case f.Type.Kind() == reflect.Slice && isFilter(f.Type.Elem()):
			for j := range fv.Len() {
				sub, err := c.nested(fmt.Sprintf("%s[%d]", at, j), fv.Index(j), depth)
				if err != nil {
					return 0, err
				}
				n += sub
			}
		default:
			k, err := c.condition(at, fv)
			if err != nil {
				return 0, err
			}
			n += k
		}
	}
	return n, nil
}

// nested checks a filter one level below depth, which must not be empty.
func (c *filterCheck) nested(path string, v reflect.Value, depth int) (int, error) {
	if v.IsNil() {
		return 0, errcode.Invalid(path, "empty filter at "+path)
	}
	n, err := c.filter(path, v.Elem(), depth+1)
	if err == nil && n == 0 {
		err = errcode.Invalid(path, "empty filter at "+path)
	}
	return n, err
}

// condition checks one set field and returns how many conditions it is.
func (c *filterCheck) condition(path string, v reflect.Value) (int, error) {
	n := 1
	switch v.Kind() {
	case reflect.Slice:
		if v.Len() == 0 {
			return 0, nil // an empty list is no condition (ent skips it)
		}
		if v.Type().Elem().Kind() == reflect.Func {
			n = v.Len() // custom predicates (AddPredicates), one condition each
			break
		}
		if v.Len() > MaxFilterValues {
			return 0, errcode.Invalid(path, fmt.Sprintf("%s lists more than %d values", path, MaxFilterValues)).With("limit", MaxFilterValues)
		}
		for j := range v.Len() {
			if err := filterText(path, v.Index(j)); err != nil {
				return 0, err
			}
		}
	case reflect.Pointer:
		if err := filterText(path, v.Elem()); err != nil {
			return 0, err
		}
	default:
		if err := filterText(path, v); err != nil {
			return 0, err
		}
	}
	c.conditions += n
	if c.conditions > MaxFilterConditions {
		return 0, errcode.Invalid(c.field, fmt.Sprintf("filter has more than %d conditions", MaxFilterConditions)).With("limit", MaxFilterConditions)
	}
	return n, nil
}

// filterText checks a compared value that is a string (of any string type:
// IDs and enums too).
func filterText(path string, v reflect.Value) error {
	if v.Kind() != reflect.String {
		return nil
	}
	s := v.String()
	if err := String(path, s); err != nil {
		return err
	}
	if len(s) > MaxFilterText && utf8.RuneCountInString(s) > MaxFilterText {
		return errcode.Invalid(path, fmt.Sprintf("%s must be at most %d characters", path, MaxFilterText)).With("limit", MaxFilterText)
	}
	return nil
}

// isFilter reports whether t is a pointer to a generated where filter.
func isFilter(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && strings.HasSuffix(t.Elem().Name(), whereSuffix)
}

// jsonName is the GraphQL name of a filter field (its JSON tag).
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" || name == "-" {
		return f.Name
	}
	return name
}
