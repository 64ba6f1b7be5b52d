package workflow

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"

	"github.com/lanes-dev/lanes/ent/schema/schematype"
	"github.com/lanes-dev/lanes/ent/status"
)

// Template is a workflow as data: createTenant copies it into the tenant's
// Workflow and Status rows, and the engine reads only those rows. Adding a
// template is adding a JSON file to templates/ (or passing one to
// sdk.Config.Templates); the engine does not change.
type Template struct {
	Key         string                  `json:"key"`
	Name        string                  `json:"name"`
	Mode        string                  `json:"mode"` // FREE or STRICT
	Statuses    []TemplateStatus        `json:"statuses"`
	Transitions []schematype.Transition `json:"transitions,omitempty"`
	Progress    *schematype.Progress    `json:"progress,omitempty"`
}

// TemplateStatus is one status of a template, in board order.
type TemplateStatus struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Category is what kind of stage the status is (status.Category:
	// LEAD, OPEN, IN_PROGRESS, WAITING, DONE, CANCELLED).
	Category  string `json:"category"`
	Color     string `json:"color"`
	Mandatory bool   `json:"mandatory,omitempty"`
	// Features are the portal features the status unlocks by default.
	Features []string `json:"features,omitempty"`
	// AdvanceTo is where the "next status" button leads; empty: nowhere.
	AdvanceTo string `json:"advanceTo,omitempty"`
	// Archives: entering the status archives the project (declined leads).
	Archives bool `json:"archives,omitempty"`
}

// PortalFeatures are the portal features of the contract (PortalFeature).
var PortalFeatures = []string{"FILE_MANAGER", "WISHES", "MY_DATA", "EMAILS", "FEEDBACK", "STATISTICS", "STORE"}

//go:embed templates/*.json
var builtinFS embed.FS

// BuiltinTemplates returns the templates shipped with Lanes, by key.
func BuiltinTemplates() (map[string]Template, error) {
	files, err := fs.Glob(builtinFS, "templates/*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string]Template, len(files))
	for _, f := range files {
		b, err := builtinFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var t Template
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("template %s: %w", path.Base(f), err)
		}
		if err := t.Validate(); err != nil {
			return nil, err
		}
		out[t.Key] = t
	}
	return out, nil
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Validate checks that a template is self-consistent.
func (t Template) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("template %q: %s", t.Key, fmt.Sprintf(format, args...))
	}
	if !keyPattern.MatchString(t.Key) {
		return fail("key must match %s", keyPattern)
	}
	if t.Name == "" {
		return fail("name is required")
	}
	if t.Mode != "FREE" && t.Mode != "STRICT" {
		return fail("mode must be FREE or STRICT, not %q", t.Mode)
	}
	if len(t.Statuses) == 0 {
		return fail("no statuses")
	}
	keys := map[string]bool{}
	for _, s := range t.Statuses {
		if !keyPattern.MatchString(s.Key) || s.Name == "" {
			return fail("status %q needs a key matching %s and a name", s.Key, keyPattern)
		}
		if keys[s.Key] {
			return fail("duplicate status %q", s.Key)
		}
		if status.CategoryValidator(status.Category(s.Category)) != nil {
			return fail("status %q: category must be LEAD, OPEN, IN_PROGRESS, WAITING, DONE or CANCELLED, not %q", s.Key, s.Category)
		}
		keys[s.Key] = true
		for _, f := range s.Features {
			if !slices.Contains(PortalFeatures, f) {
				return fail("status %q: unknown portal feature %q", s.Key, f)
			}
		}
	}
	for _, s := range t.Statuses {
		if s.AdvanceTo != "" && (!keys[s.AdvanceTo] || s.AdvanceTo == s.Key) {
			return fail("status %q advances to unknown status %q", s.Key, s.AdvanceTo)
		}
	}
	if t.Mode == "STRICT" && len(t.Transitions) == 0 {
		return fail("a STRICT workflow needs transitions")
	}
	for _, tr := range t.Transitions {
		if !keys[tr.From] || !keys[tr.To] || tr.Action == "" {
			return fail("transition %s -%s-> %s names an unknown status", tr.From, tr.Action, tr.To)
		}
	}
	if p := t.Progress; p != nil {
		if !keys[p.Status] || len(p.Options) == 0 {
			return fail("progress needs a known status and options")
		}
	}
	return nil
}

// sortedKeys returns template keys in a stable order.
func sortedKeys(m map[string]Template) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
