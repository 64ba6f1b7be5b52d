package sdk_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
	"github.com/lanes-dev/lanes/tenant/role"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

var scriptRef = regexp.MustCompile(`src="\./(assets/[^"]+\.js)"`)

// The console answers every page at the root and under a mount prefix,
// with a <base> naming the prefix, so that its relative URLs (scripts,
// /graphql, files) resolve there; its assets are cached for good, a
// missing one is 404, and the invitation and survey pages are pages.
func TestConsoleServedUnderAnyPrefix(t *testing.T) {
	s := sdktest.Start(t, lanestest.SQLiteURL(t))
	mux := http.NewServeMux()
	mux.Handle("/lanes/", http.StripPrefix("/lanes", s.Lanes.Handler()))
	mounted := httptest.NewServer(mux)
	t.Cleanup(mounted.Close)

	for _, tt := range []struct{ root, prefix string }{{s.HTTP.URL, ""}, {mounted.URL + "/lanes", "/lanes"}} {
		for _, page := range []string{"/", "/board/website", "/portal/accept?token=x", "/survey?token=y", "/somewhere/else"} {
			res, body := get(t, tt.root+page)
			require.Equal(t, http.StatusOK, res.StatusCode, page)
			require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"), page)
			require.Contains(t, body, `<base href="`+tt.prefix+`/" />`, page)
			require.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
			require.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
		}
		_, index := get(t, tt.root+"/")
		script := scriptRef.FindStringSubmatch(index)
		require.NotNil(t, script, "the page loads its script relative to the base: %s", index)
		res, body := get(t, tt.root+"/"+script[1])
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, res.Header.Get("Content-Type"), "javascript")
		require.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
		require.NotEmpty(t, body)
		res, _ = get(t, tt.root+"/assets/missing.js")
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		// The API beside it is untouched.
		res, _ = get(t, tt.root+"/healthz")
		require.Equal(t, http.StatusOK, res.StatusCode)
	}

	res, err := http.Post(s.HTTP.URL+"/board", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

// The playground is on in development mode only, posting to /graphql
// under the prefix it is served at.
func TestPlayground(t *testing.T) {
	for _, dev := range []bool{false, true} {
		s := sdktest.Start(t, lanestest.SQLiteURL(t), func(c *sdk.Config) { c.Dev = dev })
		mounted := httptest.NewServer(http.StripPrefix("/lanes", s.Lanes.Handler()))
		t.Cleanup(mounted.Close)
		res, body := get(t, mounted.URL+"/lanes/playground")
		if !dev {
			require.Equal(t, http.StatusNotFound, res.StatusCode)
			continue
		}
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `<base href="/lanes/" />`, "it posts to graphql beside it, under the prefix")
		require.Contains(t, body, `<script type="application/json" id="lanes-playground">{}</script>`, "no credential outside a demo")
		require.Empty(t, s.Platform.Do(t, `{ __schema { queryType { name } } }`, nil).Errors)
	}
	// Its page is not served as a file either.
	s := sdktest.Start(t, lanestest.SQLiteURL(t))
	_, body := get(t, s.HTTP.URL+"/playground.html")
	require.NotContains(t, body, "lanes-playground")
}

// In development mode with a demo tenant, the console offers its members
// and signs in as them with a token of the server's; never otherwise.
func TestDemoSignIn(t *testing.T) {
	demo := &sdk.DemoSignIn{Tenant: "acme", Members: []sdk.DemoMember{{ExternalID: "alice", Name: "Alice", Role: role.Owner}}}
	signIn := func(t *testing.T, s *sdktest.Server, externalID string) (int, string) {
		res, err := http.Post(s.HTTP.URL+"/console/demo/sign-in", "application/json", strings.NewReader(`{"externalId":"`+externalID+`"}`))
		require.NoError(t, err)
		defer res.Body.Close()
		var out struct{ Token string }
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out.Token
	}
	t.Run("demo", func(t *testing.T) {
		s := sdktest.Start(t, lanestest.SQLiteURL(t), func(c *sdk.Config) { c.Dev, c.Demo = true, demo })
		s.CreateTenant(t, "acme")
		s.AddMember(t, "acme", "alice", "OWNER")
		// The playground comes with the first member's credential.
		_, page := get(t, s.HTTP.URL+"/playground")
		settings := regexp.MustCompile(`id="lanes-playground">(.*?)</script>`).FindStringSubmatch(page)
		require.NotNil(t, settings)
		var pg struct{ Headers map[string]string }
		require.NoError(t, json.Unmarshal([]byte(settings[1]), &pg))
		var who struct {
			Viewer struct{ Member struct{ Name string } }
		}
		sdktest.Op(t, s.Anonymous.With(auth.HeaderAuthorization, pg.Headers[auth.HeaderAuthorization]), "Viewer", nil).Decode(t, &who)
		require.Equal(t, "alice", who.Viewer.Member.Name)
		res, body := get(t, s.HTTP.URL+"/console/demo")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.JSONEq(t, `{"tenant":"acme","members":[{"externalId":"alice","name":"Alice","role":"OWNER"}]}`, body)
		status, token := signIn(t, s, "alice")
		require.Equal(t, http.StatusOK, status)
		var v struct {
			Viewer struct{ Member struct{ Name string } }
		}
		sdktest.Op(t, s.Anonymous.With(auth.HeaderAuthorization, "Bearer "+token), "Viewer", nil).Decode(t, &v)
		require.Equal(t, "alice", v.Viewer.Member.Name)
		status, _ = signIn(t, s, "mallory")
		require.Equal(t, http.StatusNotFound, status, "only the demo's members")
	})
	for name, cfg := range map[string]func(*sdk.Config){
		"no demo":           func(c *sdk.Config) { c.Dev = true },
		"not in dev mode":   func(c *sdk.Config) { c.Demo = demo },
		"no secret to sign": func(c *sdk.Config) { c.Dev, c.Demo, c.JWT = true, demo, auth.JWTConfig{PublicKeysPEM: nil} },
	} {
		t.Run(name, func(t *testing.T) {
			s := sdktest.Start(t, lanestest.SQLiteURL(t), cfg)
			res, _ := get(t, s.HTTP.URL+"/console/demo")
			require.Equal(t, http.StatusNotFound, res.StatusCode)
			status, _ := signIn(t, s, "alice")
			require.Equal(t, http.StatusNotFound, status)
		})
	}
}

// The links Lanes makes start where the caller reached it: invitations
// and surveys open the console's pages, files download, under the mount
// prefix; a trusted proxy's X-Forwarded-* name the public address, anyone
// else's are ignored; configured pages win.
func TestLinksFollowWhereLanesIsReached(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} })
		mounted := httptest.NewServer(http.StripPrefix("/lanes", s.Lanes.Handler()))
		t.Cleanup(mounted.Close)
		acme := newTeam(t, s, "acme")
		p := create(t, acme.member, "website", "Bakery")
		viaPrefix := acme.member
		viaPrefix.URL = mounted.URL + "/lanes" + sdk.GraphQLPath

		_, url := invite(t, acme.member, p.ID, "bea@example.com")
		require.True(t, strings.HasPrefix(url, s.HTTP.URL+"/portal/accept?token="), url)
		_, url = invite(t, viaPrefix, p.ID, "bea@example.com")
		require.True(t, strings.HasPrefix(url, mounted.URL+"/lanes/portal/accept?token="), url)
		proxied := acme.member.With("X-Forwarded-Proto", "https").With("X-Forwarded-Host", "agency.example").With("X-Forwarded-Prefix", "/crm/")
		_, url = invite(t, proxied, p.ID, "bea@example.com")
		require.True(t, strings.HasPrefix(url, "https://agency.example/crm/portal/accept?token="), url)
		hostile := acme.member.With("X-Forwarded-Host", `evil.example/"><script>`)
		_, url = invite(t, hostile, p.ID, "bea@example.com")
		require.True(t, strings.HasPrefix(url, "http://localhost/portal/accept?token="), "a host no link may carry is not used: %s", url)

		customer := customerFor(t, s, acme, p.ID, "bea@example.com")
		require.Empty(t, upload(t, customer, p.ID, "brief.txt", []byte("hello"), "text/plain").Errors)
		var files struct {
			Node struct{ Files []struct{ URL string } }
		}
		viaPrefix.Do(t, `query($id: ID!) { node(id: $id) { ... on Project { files { url } } } }`, map[string]any{"id": p.ID}).Decode(t, &files)
		require.Len(t, files.Node.Files, 1)
		require.True(t, strings.HasPrefix(files.Node.Files[0].URL, "/lanes/files/"), files.Node.Files[0].URL)
		res, body := get(t, mounted.URL+files.Node.Files[0].URL)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "hello", body)

		// Configured pages win.
		configured := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) { c.PortalURL = "https://platform.example/lanes-invite" })
		team := newTeam(t, configured, "acme")
		q := create(t, team.member, "website", "Florist")
		_, url = invite(t, team.member, q.ID, "flo@example.com")
		require.True(t, strings.HasPrefix(url, "https://platform.example/lanes-invite?token="), url)
	})
}
