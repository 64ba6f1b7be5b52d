package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/lanes-dev/lanes/sdk/internal/origin"
	"github.com/lanes-dev/lanes/tenant/auth"
	"github.com/lanes-dev/lanes/tenant/role"
	"github.com/lanes-dev/lanes/web"
)

// The console (web/) is served at / and under whatever prefix the handler
// is mounted at: index.html gets a <base href> naming that prefix, and
// every URL in the console is relative to it. Any path that is no file
// of the console is a page of it (the console routes in the browser):
// /portal/accept and /survey, the default invitation and survey links,
// answer with the console too.

// consoleIndexBase is the <base> the built index.html carries, rewritten
// per request.
var consoleIndexBase = []byte(`<base href="/" />`)

type console struct {
	files fs.FS
	// index is the console's page, playground the playground's.
	index, playground []byte
}

func newConsole() (*console, error) {
	files := web.Console()
	c := &console{files: files}
	for name, page := range map[string]*[]byte{"index.html": &c.index, "playground.html": &c.playground} {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		if !bytes.Contains(b, consoleIndexBase) {
			return nil, fmt.Errorf("web/dist/%s has no %s: rebuild the console (web/console: npm run build)", name, consoleIndexBase)
		}
		*page = b
	}
	if !bytes.Contains(c.playground, playgroundSettings) {
		return nil, fmt.Errorf("web/dist/playground.html has no %s: rebuild the console (web/console: npm run build)", playgroundSettings)
	}
	return c, nil
}

// playgroundSettings is where the playground's page takes its settings
// (a demo credential), rewritten per request.
var playgroundSettings = []byte(`<script type="application/json" id="lanes-playground">{}</script>`)

// Content-Security-Policy of the console's pages: its own scripts only;
// styles inline too (drag and drop positions cards with style attributes).
const consolePolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'"

func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	// Files are served from assets/ only (the pages are served with
	// their <base>, the playground in development mode only).
	if name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/"); strings.HasPrefix(name, "assets/") {
		if f, err := fs.Stat(c.files, name); err != nil || f.IsDir() {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// Built file names carry their content's hash.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeFileFS(w, r, c.files, name)
		return
	}
	c.servePage(w, r, c.index)
}

// servePage answers with a page of the console, its <base> naming the
// prefix it is served under.
func (c *console) servePage(w http.ResponseWriter, r *http.Request, page []byte) {
	base := []byte(`<base href="` + html.EscapeString(origin.Prefix(r.Context())+"/") + `" />`)
	page = bytes.Replace(page, consoleIndexBase, base, 1)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", consolePolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(page))
}

// mountPrefix is the path the handler is mounted under (http.StripPrefix
// removed it from URL.Path, not from RequestURI): "" at the root.
func mountPrefix(r *http.Request) string {
	uri := r.RequestURI
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if i := strings.Index(uri, "://"); i >= 0 { // absolute form
		if j := strings.IndexByte(uri[i+3:], '/'); j >= 0 {
			uri = uri[i+3+j:]
		} else {
			uri = ""
		}
	}
	p := r.URL.EscapedPath()
	if p == "" || !strings.HasSuffix(uri, p) {
		return ""
	}
	return strings.TrimSuffix(uri, p)
}

// withOrigin records where the request was served (origin): the scheme,
// host and mount prefix that the links Lanes makes for the caller start
// with. A trusted proxy's X-Forwarded-Proto, -Host and -Prefix say what
// the client reached.
func (l *Lanes) withOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(origin.NewContext(r.Context(), l.originOf(r))))
	})
}

func (l *Lanes) originOf(r *http.Request) origin.Origin {
	scheme, host, prefix := "http", r.Host, mountPrefix(r)
	if r.TLS != nil {
		scheme = "https"
	}
	if l.limits.fromTrustedProxy(r) {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
		if p := strings.TrimSuffix(firstValue(r.Header.Get("X-Forwarded-Prefix")), "/"); validPrefix.MatchString(p) {
			prefix = p + prefix
		}
	}
	if !validHost.MatchString(host) {
		host = "localhost"
	}
	return origin.Origin{Base: scheme + "://" + host + prefix, Prefix: prefix}
}

// A host (name or address, and port) and a path prefix, as links may
// carry them: anything else a client sends is not used.
var (
	validHost   = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)
	validPrefix = regexp.MustCompile(`^(/[A-Za-z0-9._~\-]+)*$`)
)

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}

// playground answers /playground in development mode (404 otherwise):
// GraphiQL, built into the server like the console; in a demo, with a
// member's token in its headers.
func (l *Lanes) playground(w http.ResponseWriter, r *http.Request) {
	if !l.cfg.Dev {
		http.NotFound(w, r)
		return
	}
	settings := map[string]any{}
	if l.demoEnabled() && len(l.cfg.Demo.Members) > 0 {
		token, err := auth.MintHS256(l.cfg.JWT.Secret, l.cfg.Demo.Tenant, l.cfg.Demo.Members[0].ExternalID, demoTokenTTL)
		if err != nil {
			l.writeError(w, r, err)
			return
		}
		settings["headers"] = map[string]string{auth.HeaderAuthorization: "Bearer " + token}
	}
	// json.Marshal escapes <, > and &: nothing ends the script element.
	raw, err := json.Marshal(settings)
	if err != nil {
		l.writeError(w, r, err)
		return
	}
	page := bytes.Replace(l.console.playground, playgroundSettings,
		[]byte(`<script type="application/json" id="lanes-playground">`+string(raw)+`</script>`), 1)
	l.console.servePage(w, r, page)
}

// DemoSignIn lets the console sign in as members of a demo tenant, in
// development mode only, with tokens the server mints with its HS256
// secret: `go run ./server --demo` sets it.
type DemoSignIn struct {
	Tenant  string
	Members []DemoMember
}

// DemoMember is a member the console offers to sign in as.
type DemoMember struct {
	ExternalID string    `json:"externalId"`
	Name       string    `json:"name"`
	Role       role.Role `json:"role"`
}

// demoTokenTTL is how long a demo sign-in lasts.
const demoTokenTTL = 12 * time.Hour

// demoEnabled: development mode, a demo tenant and a secret to sign with.
func (l *Lanes) demoEnabled() bool {
	return l.cfg.Dev && l.cfg.Demo != nil && len(l.cfg.JWT.Secret) > 0
}

// demoMembers answers GET console/demo: the demo tenant and its members,
// or 404 outside a demo.
func (l *Lanes) demoMembers(w http.ResponseWriter, r *http.Request) {
	if !l.demoEnabled() {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": l.cfg.Demo.Tenant, "members": l.cfg.Demo.Members})
}

// demoSignIn answers POST console/demo/sign-in {"externalId"} with a
// member token of the demo tenant.
func (l *Lanes) demoSignIn(w http.ResponseWriter, r *http.Request) {
	if !l.demoEnabled() {
		http.NotFound(w, r)
		return
	}
	var in struct {
		ExternalID string `json:"externalId"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		writeGraphQLError(w, 0, errBodyNotJSON)
		return
	}
	for _, m := range l.cfg.Demo.Members {
		if m.ExternalID == in.ExternalID {
			token, err := auth.MintHS256(l.cfg.JWT.Secret, l.cfg.Demo.Tenant, m.ExternalID, demoTokenTTL)
			if err != nil {
				l.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"token": token})
			return
		}
	}
	http.NotFound(w, r)
}
