package validate

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// MaxJSONDepth bounds the nesting of stored JSON values (wishes answers):
// the value itself is level 1, every object or array one level further.
const MaxJSONDepth = 32

// JSON checks a value stored as JSON (what encoding/json decodes, or any
// Go value it encodes): keys and strings clean (Clean), at most
// MaxJSONDepth levels of objects and arrays, at most maxBytes serialized;
// the errors are VALIDATION naming field. Keys are user data and never
// echoed.
func JSON(field string, v any, maxBytes int) error {
	if err := jsonValue(field, reflect.ValueOf(v), 1); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return errcode.Invalid(field, field+" must be plain JSON")
	}
	if len(b) > maxBytes {
		return errcode.Invalid(field, fmt.Sprintf("%s must be at most %d bytes as JSON", field, maxBytes)).With("limit", maxBytes)
	}
	return nil
}

func jsonValue(field string, v reflect.Value, depth int) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return jsonText(field, v.String())
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		if depth >= MaxJSONDepth {
			return errcode.Invalid(field, fmt.Sprintf("%s nests deeper than %d levels", field, MaxJSONDepth)).With("limit", MaxJSONDepth)
		}
	}
	switch v.Kind() {
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := jsonValue(field, it.Key(), depth+1); err != nil {
				return err
			}
			if err := jsonValue(field, it.Value(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // []byte: base64 in JSON
		}
		for i := range v.Len() {
			if err := jsonValue(field, v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if err := jsonValue(field, v.Field(i), depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func jsonText(field, s string) error {
	if !Clean(s) {
		return errcode.Invalid(field, field+" must hold valid UTF-8 without NUL characters (U+0000), in keys and values")
	}
	return nil
}
