package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// QueryLimits bounds the work one GraphQL operation can ask for, in two
// steps, each linear in the document's size:
//
//  1. before gqlgen parses and validates a document it has not seen, its
//     shape: tokens, operations, fields, aliases, fragment spreads,
//     directives, the fields it would have with fragments expanded, its
//     depth, and how often one response name repeats in a selection set
//     (gqlparser's overlapping-fields rule is quadratic in that);
//  2. after validation, with the request's variables: the operation's cost
//     (complexity.go: every list and page priced), the mutations it runs
//     and its token-credential calls, and introspection outside
//     development mode.
//
// Fragments are measured once each, however often they are spread, so a
// document cannot make the measuring itself expensive. Every refusal is
// QUERY_TOO_COMPLEX and names the limit, except introspection (VALIDATION)
// and rate limits (Admit's own error).
type QueryLimits struct {
	// MaxDepth bounds field nesting; MaxComplexity the cost (complexity.go).
	MaxDepth      int
	MaxComplexity int
	// MaxTokens bounds the lexer's tokens (gqlgen's parser token limit is
	// set to the same value).
	MaxTokens int
	// MaxOperations, MaxFields, MaxAliases, MaxFragmentSpreads and
	// MaxDirectives bound what a document writes; MaxFields also the
	// fields of each operation with its fragments expanded.
	MaxOperations      int
	MaxFields          int
	MaxAliases         int
	MaxFragmentSpreads int
	MaxDirectives      int
	// MaxRepeats bounds how often one response name occurs in one
	// selection set, fragments expanded.
	MaxRepeats int
	// MaxMutations bounds the root fields of a mutation: each is a write.
	MaxMutations int
	// MaxCredentialCalls bounds the calls whose argument is a credential
	// (acceptInvitation, submitSurvey) in one operation.
	MaxCredentialCalls int
	// AllowIntrospection admits __schema and __type (development mode).
	AllowIntrospection bool
	// Admit, when set, is asked for every operation before it is parsed
	// (weight 1) and again for the other mutations of a mutation (weight
	// n-1), so that a request of n writes counts as n; its error refuses
	// the operation.
	Admit func(ctx context.Context, weight int) error
	// AdmitCredentials, when set, is asked before an operation with a
	// token-credential call runs; its error refuses it.
	AdmitCredentials func(ctx context.Context) error
	// Cache is gqlgen's query cache: a document found there was measured
	// before and passed.
	Cache graphql.Cache[*ast.QueryDocument]

	es graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = &QueryLimits{}

// credentialCalls are the root fields whose argument is the caller's only
// credential: each one is a guess when the token is wrong.
var credentialCalls = map[string]bool{"acceptInvitation": true, "submitSurvey": true}

// ExtensionName implements graphql.HandlerExtension.
func (*QueryLimits) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (l *QueryLimits) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator:
// it runs before gqlgen parses the document.
func (l *QueryLimits) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if l.Admit != nil {
		if err := l.Admit(ctx, 1); err != nil {
			return codedError(err)
		}
	}
	if l.Cache != nil {
		if _, ok := l.Cache.Get(ctx, params.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, l.MaxTokens)
	if err != nil {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && strings.HasPrefix(gqlErr.Message, "exceeded token limit") {
			return tooComplex("document has more than %d tokens, the limit", l.MaxTokens)
		}
		return nil // a syntax error: gqlgen reports it
	}
	return l.checkShape(doc)
}

// MutateOperationContext implements graphql.OperationContextMutator: it
// runs after validation, before anything executes.
func (l *QueryLimits) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	c := newCoster(op.Variables)
	cost := c.selectionSet(op.Operation.SelectionSet)
	if c.introspects && !l.AllowIntrospection {
		e := gqlerror.Errorf("introspection is off outside development mode")
		e.Extensions = map[string]any{"code": string(errcode.Validation)}
		return e
	}
	if l.MaxComplexity > 0 && cost > l.MaxComplexity {
		return tooComplex("operation has complexity %d, the limit is %d", cost, l.MaxComplexity)
	}
	roots, credentials := rootCalls(op.Operation.SelectionSet)
	if l.MaxCredentialCalls > 0 && credentials > l.MaxCredentialCalls {
		return tooComplex("operation makes %d token-credential calls, the limit is %d", credentials, l.MaxCredentialCalls)
	}
	if l.AdmitCredentials != nil && credentials > 0 {
		if err := l.AdmitCredentials(ctx); err != nil {
			return codedError(err)
		}
	}
	if op.Operation.Operation != ast.Mutation {
		return nil
	}
	if l.MaxMutations > 0 && roots > l.MaxMutations {
		return tooComplex("operation runs %d mutations, the limit is %d", roots, l.MaxMutations)
	}
	if l.Admit != nil && roots > 1 {
		if err := l.Admit(ctx, roots-1); err != nil {
			return codedError(err)
		}
	}
	return nil
}

// rootCalls counts an operation's root fields (fragments expanded; the
// root selection set of a valid document cannot spread itself) and those
// of them that take a credential.
func rootCalls(set ast.SelectionSet) (roots, credentials int) {
	for _, sel := range set {
		var r, c int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			r = 1
			if credentialCalls[s.Name] {
				c = 1
			}
		case *ast.InlineFragment:
			r, c = rootCalls(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				r, c = rootCalls(s.Definition.SelectionSet)
			}
		}
		roots, credentials = roots+r, credentials+c
	}
	return roots, credentials
}

func tooComplex(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": string(errcode.QueryTooComplex)}
	return e
}

// codedError turns a domain error (a rate limit) into a GraphQL error with
// its code and details.
func codedError(err error) *gqlerror.Error {
	e := errcode.From(err)
	gqlErr := gqlerror.Errorf("%s", e.Message)
	return withCode(gqlErr, e.Code, e.Details)
}

// checkShape measures a parsed, not yet validated document.
func (l *QueryLimits) checkShape(doc *ast.QueryDocument) *gqlerror.Error {
	if l.MaxOperations > 0 && len(doc.Operations) > l.MaxOperations {
		return tooComplex("document has %d operations, the limit is %d", len(doc.Operations), l.MaxOperations)
	}
	m := newMeasurer(doc)
	for _, op := range doc.Operations {
		m.directives += len(op.Directives)
		for _, v := range op.VariableDefinitions {
			m.directives += len(v.Directives)
		}
		m.count(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		m.directives += len(f.Directives)
		m.count(f.SelectionSet)
	}
	for _, check := range []struct {
		what       string
		have, most int
	}{
		{"fields", m.fields, l.MaxFields},
		{"aliases", m.aliases, l.MaxAliases},
		{"fragment spreads", m.spreads, l.MaxFragmentSpreads},
		{"directives", m.directives, l.MaxDirectives},
	} {
		if check.most > 0 && check.have > check.most {
			return tooComplex("document has %d %s, the limit is %d", check.have, check.what, check.most)
		}
	}
	measures := make([]*measure, 0, len(doc.Operations)+len(doc.Fragments))
	for _, op := range doc.Operations {
		measures = append(measures, m.measure(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		measures = append(measures, m.fragment(f.Name))
	}
	for _, s := range measures {
		switch {
		case l.MaxDepth > 0 && s.depth > l.MaxDepth:
			return tooComplex("operation is nested %d levels deep, the limit is %d", s.depth, l.MaxDepth)
		case l.MaxFields > 0 && s.fields > l.MaxFields:
			return tooComplex("operation has %d fields with its fragments expanded, the limit is %d", s.fields, l.MaxFields)
		}
	}
	if l.MaxRepeats > 0 && m.worstRepeat > l.MaxRepeats {
		return tooComplex("a selection set asks for %q %d times, the limit is %d", m.worstName, m.worstRepeat, l.MaxRepeats)
	}
	return nil
}

// measurer measures selection sets of one document, each fragment once.
type measurer struct {
	fragments map[string]*ast.FragmentDefinition
	memo      map[string]*measure

	fields, aliases, spreads, directives int

	worstRepeat int
	worstName   string
}

// measure is what a selection set amounts to with its fragments expanded:
// its deepest nesting, its fields, and its response names with how often
// each occurs at its top level.
type measure struct {
	depth  int
	fields int
	names  map[string]int
}

func newMeasurer(doc *ast.QueryDocument) *measurer {
	m := &measurer{fragments: map[string]*ast.FragmentDefinition{}, memo: map[string]*measure{}}
	for _, f := range doc.Fragments {
		if _, dup := m.fragments[f.Name]; !dup {
			m.fragments[f.Name] = f
		}
	}
	return m
}

// count tallies what a selection set writes, not expanded.
func (m *measurer) count(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			m.fields++
			if s.Alias != "" && s.Alias != s.Name {
				m.aliases++
			}
			m.directives += len(s.Directives)
			m.count(s.SelectionSet)
		case *ast.InlineFragment:
			m.directives += len(s.Directives)
			m.count(s.SelectionSet)
		case *ast.FragmentSpread:
			m.spreads++
			m.directives += len(s.Directives)
		}
	}
}

// cycleMarker stands for a fragment being measured: a spread of it inside
// itself (a cycle, which validation refuses) adds nothing.
var cycleMarker = &measure{}

func (m *measurer) measure(set ast.SelectionSet) *measure {
	out := &measure{names: map[string]int{}}
	for _, sel := range set {
		var inner *measure
		switch s := sel.(type) {
		case *ast.Field:
			child := m.measure(s.SelectionSet)
			depth := 1 + child.depth
			if s.Name == "ofType" {
				// A type reference's wrapping chain is one object deep per
				// level and ends within three in Lanes' schema; the
				// standard introspection query nests it eight times.
				depth = child.depth
			}
			out.depth = max(out.depth, depth)
			out.fields = saturatingAdd(out.fields, saturatingAdd(1, child.fields))
			out.names[responseName(s)]++
			continue
		case *ast.InlineFragment:
			inner = m.measure(s.SelectionSet)
		case *ast.FragmentSpread:
			inner = m.fragment(s.Name)
		}
		out.depth = max(out.depth, inner.depth)
		out.fields = saturatingAdd(out.fields, inner.fields)
		for name, n := range inner.names {
			out.names[name] = saturatingAdd(out.names[name], n)
		}
	}
	for name, n := range out.names {
		if n > m.worstRepeat {
			m.worstRepeat, m.worstName = n, name
		}
	}
	return out
}

func (m *measurer) fragment(name string) *measure {
	if got, ok := m.memo[name]; ok {
		return got
	}
	def, ok := m.fragments[name]
	if !ok {
		return cycleMarker // unknown: validation refuses it
	}
	m.memo[name] = cycleMarker
	got := m.measure(def.SelectionSet)
	m.memo[name] = got
	return got
}

func responseName(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

const maxInt = int(^uint(0) >> 1)

// saturatingAdd adds non-negative numbers without overflowing.
func saturatingAdd(a, b int) int {
	if a > maxInt-b {
		return maxInt
	}
	return a + b
}

// saturatingMul multiplies non-negative numbers without overflowing.
func saturatingMul(a, b int) int {
	if a != 0 && b > maxInt/a {
		return maxInt
	}
	return a * b
}
