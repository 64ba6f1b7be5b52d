package policies

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Feature is a customer-portal feature (the contract's PortalFeature).
type Feature string

// The portal features.
const (
	FileManager Feature = "FILE_MANAGER"
	Wishes      Feature = "WISHES"
	MyData      Feature = "MY_DATA"
	Emails      Feature = "EMAILS"
	Feedback    Feature = "FEEDBACK"
	Statistics  Feature = "STATISTICS"
	Store       Feature = "STORE"
)

// AllFeatures lists the features in the contract's order.
var AllFeatures = []Feature{FileManager, Wishes, MyData, Emails, Feedback, Statistics, Store}

func (f Feature) bit() FeatureSet {
	for i, g := range AllFeatures {
		if g == f {
			return 1 << i
		}
	}
	return 0
}

// Valid reports whether f is a portal feature.
func (f Feature) Valid() bool { return f.bit() != 0 }

// MarshalGQL implements graphql.Marshaler.
func (f Feature) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(f))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (f *Feature) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if !Feature(s).Valid() {
		return fmt.Errorf("%v is not a valid PortalFeature", v)
	}
	*f = Feature(s)
	return nil
}

// FeatureSet is a set of features.
type FeatureSet uint8

// Has reports whether the set holds f.
func (s FeatureSet) Has(f Feature) bool { return s&f.bit() != 0 }

// With returns the set with f added.
func (s FeatureSet) With(f Feature) FeatureSet { return s | f.bit() }

// Without returns the set with f removed.
func (s FeatureSet) Without(f Feature) FeatureSet { return s &^ f.bit() }

// List returns the features of the set in the contract's order.
func (s FeatureSet) List() []Feature {
	out := make([]Feature, 0, len(AllFeatures))
	for _, f := range AllFeatures {
		if s.Has(f) {
			out = append(out, f)
		}
	}
	return out
}

// SetOf builds a set from features.
func SetOf(fs ...Feature) FeatureSet {
	var s FeatureSet
	for _, f := range fs {
		s = s.With(f)
	}
	return s
}

// Policy vocabulary of the feature question.
const (
	statusPrefix  = "status:"
	featurePrefix = "feature:"
	useAction     = "use"
)

// StatusSubject is the casbin subject of a workflow's status.
func StatusSubject(workflow, status string) string { return statusPrefix + workflow + "/" + status }

// FeatureObject is the casbin object of a feature.
func FeatureObject(f Feature) string { return featurePrefix + string(f) }

// splitSubject parses "status:<workflow>/<status>".
func splitSubject(sub string) (workflow, status string, ok bool) {
	rest, ok := strings.CutPrefix(sub, statusPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "/")
}
