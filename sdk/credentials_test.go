package sdk_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// claims builds member claims; mutate adjusts them per case.
func claims(tid, sub string, mutate ...func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "tid": tid, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func sign(t *testing.T, method jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	require.NoError(t, err)
	return s
}

func pemPublic(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func bearer(s *sdktest.Server, token string) lanestest.Client {
	return s.Anonymous.With("Authorization", "Bearer "+token)
}

func viewerKind(t *testing.T, c lanestest.Client) (string, *lanestest.Response) {
	t.Helper()
	res := sdktest.Op(t, c, "Viewer", nil)
	if len(res.Errors) > 0 {
		return "", res
	}
	var v struct{ Viewer struct{ Kind string } }
	res.Decode(t, &v)
	return v.Viewer.Kind, res
}

func requireUnauthenticated(t *testing.T, c lanestest.Client) {
	t.Helper()
	kind, res := viewerKind(t, c)
	require.Empty(t, kind)
	require.Equal(t, []string{"UNAUTHENTICATED"}, res.Codes())
	require.Equal(t, 401, res.Status)
}

func TestMemberJWTWithHS256(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		s.CreateTenant(t, "acme")
		s.AddMember(t, "acme", "alice", "ADMIN")
		secret := []byte(sdktest.JWTSecret)

		kind, res := viewerKind(t, bearer(s, sign(t, jwt.SigningMethodHS256, secret, claims("acme", "alice"))))
		require.Equal(t, "MEMBER", kind, "%+v", res.Errors)
		// The stored role wins over a role claim.
		var v struct{ Viewer struct{ Role string } }
		sdktest.Op(t, bearer(s, sign(t, jwt.SigningMethodHS256, secret, claims("acme", "alice", func(c jwt.MapClaims) { c["role"] = "OWNER" }))), "Viewer", nil).Decode(t, &v)
		require.Equal(t, "ADMIN", v.Viewer.Role)

		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims("acme", "alice")).SignedString(jwt.UnsafeAllowNoneSignatureType)
		require.NoError(t, err)
		tampered := sign(t, jwt.SigningMethodHS256, secret, claims("acme", "alice"))
		parts := strings.Split(tampered, ".")
		forged := sign(t, jwt.SigningMethodHS256, secret, claims("acme", "mallory"))
		parts[1] = strings.Split(forged, ".")[1]
		cases := map[string]string{
			"wrong secret":     sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), claims("acme", "alice")),
			"alg none":         none,
			"RS256 not pinned": sign(t, jwt.SigningMethodRS256, rsaKey, claims("acme", "alice")),
			"HS512 not pinned": sign(t, jwt.SigningMethodHS512, secret, claims("acme", "alice")),
			"expired":          sign(t, jwt.SigningMethodHS256, secret, claims("acme", "alice", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
			"no exp":           sign(t, jwt.SigningMethodHS256, secret, claims("acme", "alice", func(c jwt.MapClaims) { delete(c, "exp") })),
			"not yet valid":    sign(t, jwt.SigningMethodHS256, secret, claims("acme", "alice", func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
			"no tid":           sign(t, jwt.SigningMethodHS256, secret, claims("", "alice")),
			"unknown tenant":   sign(t, jwt.SigningMethodHS256, secret, claims("nope", "alice")),
			"unknown member":   sign(t, jwt.SigningMethodHS256, secret, claims("acme", "mallory")),
			"payload swapped":  strings.Join(parts, "."),
			"garbage":          "not-a-jwt",
			"unknown portal":   auth.PortalTokenPrefix + "whatever",
		}
		for name, token := range cases {
			t.Run(name, func(t *testing.T) { requireUnauthenticated(t, bearer(s, token)) })
		}
		t.Run("Basic scheme", func(t *testing.T) {
			requireUnauthenticated(t, s.Anonymous.With("Authorization", "Basic YWxpY2U6eA=="))
		})
	})
}

func TestMemberJWTWithPublicKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaPEM := pemPublic(t, &rsaKey.PublicKey)
	edPEM := pemPublic(t, edPub)
	unusedEdPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		t.Run("RS256", func(t *testing.T) {
			s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) {
				c.JWT = auth.JWTConfig{PublicKeysPEM: rsaPEM, Issuer: "https://platform.example", Audience: "lanes"}
			})
			s.CreateTenant(t, "acme")
			s.AddMember(t, "acme", "alice", "MEMBER")
			good := func(c jwt.MapClaims) { c["iss"] = "https://platform.example"; c["aud"] = "lanes" }
			kind, res := viewerKind(t, bearer(s, sign(t, jwt.SigningMethodRS256, rsaKey, claims("acme", "alice", good))))
			require.Equal(t, "MEMBER", kind, "%+v", res.Errors)

			for name, token := range map[string]string{
				// The classic confusion: HS256 keyed with the public key's PEM.
				"HS256 with the public key as secret": sign(t, jwt.SigningMethodHS256, rsaPEM, claims("acme", "alice", good)),
				"signed by another key":               sign(t, jwt.SigningMethodRS256, otherRSA, claims("acme", "alice", good)),
				"EdDSA":                               sign(t, jwt.SigningMethodEdDSA, edPriv, claims("acme", "alice", good)),
				"wrong issuer":                        sign(t, jwt.SigningMethodRS256, rsaKey, claims("acme", "alice", good, func(c jwt.MapClaims) { c["iss"] = "evil" })),
				"wrong audience":                      sign(t, jwt.SigningMethodRS256, rsaKey, claims("acme", "alice", good, func(c jwt.MapClaims) { c["aud"] = "other" })),
			} {
				t.Run(name, func(t *testing.T) { requireUnauthenticated(t, bearer(s, token)) })
			}
		})
		t.Run("EdDSA with two keys", func(t *testing.T) {
			s := sdktest.Start(t, db.Fresh(t), func(c *sdk.Config) {
				c.JWT = auth.JWTConfig{PublicKeysPEM: append(pemPublic(t, unusedEdPub), edPEM...)}
			})
			s.CreateTenant(t, "acme")
			s.AddMember(t, "acme", "alice", "MEMBER")
			kind, res := viewerKind(t, bearer(s, sign(t, jwt.SigningMethodEdDSA, edPriv, claims("acme", "alice"))))
			require.Equal(t, "MEMBER", kind, "%+v", res.Errors)
			requireUnauthenticated(t, bearer(s, sign(t, jwt.SigningMethodRS256, rsaKey, claims("acme", "alice"))))
			requireUnauthenticated(t, bearer(s, sign(t, jwt.SigningMethodHS256, edPEM, claims("acme", "alice"))))
		})
	})
}

func TestJWTConfigRefusals(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaPEM := pemPublic(t, &rsaKey.PublicKey)
	for name, cfg := range map[string]auth.JWTConfig{
		"short secret":         {Secret: []byte("short")},
		"secret and keys":      {Secret: []byte(sdktest.JWTSecret), PublicKeysPEM: rsaPEM},
		"secret with RS256":    {Secret: []byte(sdktest.JWTSecret), Algorithm: "RS256"},
		"RSA key pinned EdDSA": {PublicKeysPEM: rsaPEM, Algorithm: "EdDSA"},
		"RSA key pinned HS256": {PublicKeysPEM: rsaPEM, Algorithm: "HS256"},
		"not PEM":              {PublicKeysPEM: []byte("hello")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := auth.New(nil, cfg)
			require.Error(t, err)
		})
	}
}

func TestPlatformKey(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		s := sdktest.Start(t, db.URL)
		s.CreateTenant(t, "acme")
		s.AddMember(t, "acme", "alice", "MEMBER")

		requireUnauthenticated(t, s.Anonymous.With("X-Api-Key", "lk_wrong-key-0123456789"))
		requireUnauthenticated(t, s.PlatformIn("no-such-tenant"))
		requireUnauthenticated(t, s.Member(t, "acme", "alice").With("X-Api-Key", sdktest.PlatformKey))

		// Without X-Tenant the platform may create tenants and ask who it
		// is, nothing inside a tenant.
		res := sdktest.Op(t, s.Platform, "Workflows", nil)
		require.Equal(t, []string{"UNAUTHENTICATED"}, res.Codes())
		kind, _ := viewerKind(t, s.Platform)
		require.Equal(t, "PLATFORM", kind)

		// Keys are stored hashed only.
		var n int
		row := s.Lanes.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM api_keys WHERE secret_hash = $1", auth.HashSecret(sdktest.PlatformKey))
		if db.Name == "sqlite" {
			row = s.Lanes.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM api_keys WHERE secret_hash = ?", auth.HashSecret(sdktest.PlatformKey))
		}
		require.NoError(t, row.Scan(&n))
		require.Equal(t, 1, n)
		row = s.Lanes.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM api_keys WHERE secret_hash LIKE '%test-platform%' OR name LIKE '%test-platform%'")
		require.NoError(t, row.Scan(&n))
		require.Zero(t, n)

		// The bootstrap key is stored once, however often Lanes starts.
		l2, err := sdk.Open(context.Background(), sdk.Config{DatabaseURL: db.URL, DataDir: t.TempDir(), PlatformKey: sdktest.PlatformKey})
		require.NoError(t, err)
		require.NoError(t, l2.Close())
		row = s.Lanes.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM api_keys")
		require.NoError(t, row.Scan(&n))
		require.Equal(t, 1, n)
	})
}

// A member's token is resolved once and then served from memory; a token
// of a member not there yet works as soon as the member is added.
func TestMemberResolutionIsCached(t *testing.T) {
	lanestest.ForEachDatabase(t, func(t *testing.T, db lanestest.Database) {
		var counter lanestest.StatementCounter
		s := sdktest.Start(t, db.URL, func(c *sdk.Config) { c.WrapDriver = counter.Wrap })
		s.CreateTenant(t, "alpha")
		late := s.Member(t, "alpha", "late-joiner")
		requireCode(t, sdktest.Op(t, late, "Viewer", nil), "UNAUTHENTICATED")

		s.AddMember(t, "alpha", "late-joiner", "MEMBER")
		require.Empty(t, sdktest.Op(t, late, "Viewer", nil).Errors, "an unknown member is not remembered")
		again := counter.Record(func() { require.Empty(t, sdktest.Op(t, late, "Workflows", nil).Errors) })
		require.NotEmpty(t, again)
		for _, stmt := range again {
			require.NotContains(t, stmt, "external_id", "the member is not looked up again")
		}
	})
}
