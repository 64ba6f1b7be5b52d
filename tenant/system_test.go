package tenant_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// allowedBypass lists the only files that may bypass privacy: the
// definition of SystemContext and the credential lookups.
var allowedBypass = map[string]bool{
	"tenant/system.go":       true,
	"tenant/auth/auth.go":    true,
	"tenant/auth/portal.go":  true,
	"tenant/auth/secrets.go": true,
}

var (
	bypass    = regexp.MustCompile(`SystemContext\(|privacy\.DecisionContext\(`)
	generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
)

// TestSystemContextCallers keeps the privacy bypass confined (STYLE.md,
// pitfall 2): no other file of the module may call SystemContext or make
// an Allow decision context.
func TestSystemContextCallers(t *testing.T) {
	root := filepath.Join("..")
	var offenders []string
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if generated.Match(src) {
			return nil // ent's own wrappers of the privacy package
		}
		if bypass.Match(src) {
			seen[rel] = true
			if !allowedBypass[rel] {
				offenders = append(offenders, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for f := range allowedBypass {
		if !seen[f] {
			t.Errorf("%s no longer bypasses privacy: drop it from the allowed files (or the scan is broken)", f)
		}
	}
	if len(offenders) > 0 {
		t.Fatalf("privacy bypass outside the allowed files: %v", offenders)
	}
}
