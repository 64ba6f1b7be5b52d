package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithms a member JWT may be signed with. One is pinned by configuration;
// tokens with any other "alg" (none, or HS256 against a public key) fail.
const (
	AlgHS256 = "HS256"
	AlgRS256 = "RS256"
	AlgEdDSA = "EdDSA"
)

// JWTConfig configures member tokens.
type JWTConfig struct {
	// Secret is the HS256 shared secret.
	Secret []byte
	// PublicKeysPEM holds one or more PEM public keys (RSA or Ed25519, all
	// of one kind) for RS256 or EdDSA.
	PublicKeysPEM []byte
	// Algorithm pins the algorithm; empty: HS256 with a secret, else
	// inferred from the kind of the public keys.
	Algorithm string
	// Issuer and Audience, when set, must match the token's iss and aud.
	Issuer   string
	Audience string
	// Leeway tolerates clock skew on exp and nbf (default 30s).
	Leeway time.Duration
}

// MinJWTSecretLength is the shortest HS256 secret accepted (RFC 7518 §3.2
// asks for a key at least as long as the hash output).
const MinJWTSecretLength = 32

// memberClaims are the claims of a member token.
type memberClaims struct {
	jwt.RegisteredClaims
	// TenantRef is the tenant's slug or ID.
	TenantRef string `json:"tid"`
	// Role is informational; the stored member role wins.
	Role string `json:"role,omitempty"`
}

type jwtVerifier struct {
	parser *jwt.Parser
	key    any // []byte or jwt.VerificationKeySet
}

func newJWTVerifier(cfg JWTConfig) (*jwtVerifier, error) {
	if len(cfg.Secret) == 0 && len(cfg.PublicKeysPEM) == 0 {
		return nil, nil
	}
	if len(cfg.Secret) > 0 && len(cfg.PublicKeysPEM) > 0 {
		return nil, errors.New("auth: configure either a JWT secret or JWT public keys, not both")
	}
	v := &jwtVerifier{}
	alg := cfg.Algorithm
	if len(cfg.Secret) > 0 {
		if alg == "" {
			alg = AlgHS256
		}
		if alg != AlgHS256 {
			return nil, fmt.Errorf("auth: a JWT secret needs algorithm HS256, not %q", alg)
		}
		if len(cfg.Secret) < MinJWTSecretLength {
			return nil, fmt.Errorf("auth: the JWT secret must be at least %d bytes", MinJWTSecretLength)
		}
		v.key = cfg.Secret
	} else {
		keys, inferred, err := parsePublicKeys(cfg.PublicKeysPEM)
		if err != nil {
			return nil, err
		}
		if alg == "" {
			alg = inferred
		}
		if alg != inferred {
			return nil, fmt.Errorf("auth: JWT algorithm %q does not fit the configured %s keys", alg, inferred)
		}
		set := jwt.VerificationKeySet{}
		for _, k := range keys {
			set.Keys = append(set.Keys, k)
		}
		v.key = set
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

func (v *jwtVerifier) verify(token string) (*memberClaims, error) {
	claims := &memberClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return v.key, nil })
	if err != nil {
		return nil, err
	}
	if claims.Subject == "" || claims.TenantRef == "" {
		return nil, errors.New("token lacks sub or tid")
	}
	return claims, nil
}

// parsePublicKeys reads PEM public keys (PKIX "PUBLIC KEY" or PKCS#1 "RSA
// PUBLIC KEY") and returns them with the algorithm their kind implies.
func parsePublicKeys(data []byte) ([]crypto.PublicKey, string, error) {
	var (
		keys []crypto.PublicKey
		alg  string
	)
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			return nil, "", fmt.Errorf("auth: unsupported PEM block %q in JWT public keys", block.Type)
		}
		if err != nil {
			return nil, "", fmt.Errorf("auth: parse JWT public key: %w", err)
		}
		var kind string
		switch k := key.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() < 2048 {
				return nil, "", errors.New("auth: RSA JWT keys must be at least 2048 bits")
			}
			kind = AlgRS256
		case ed25519.PublicKey:
			kind = AlgEdDSA
		default:
			return nil, "", fmt.Errorf("auth: unsupported JWT public key type %T", key)
		}
		if alg != "" && alg != kind {
			return nil, "", errors.New("auth: JWT public keys must all be RSA or all Ed25519")
		}
		alg = kind
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, "", errors.New("auth: no PEM public key found in the JWT public keys")
	}
	return keys, alg, nil
}

// MintHS256 signs a member token with an HS256 secret: for development,
// demos and tests; production tokens come from the embedding platform.
func MintHS256(secret []byte, tenantRef, externalID string, ttl time.Duration) (string, error) {
	now := time.Now()
	claims := memberClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   externalID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		TenantRef: tenantRef,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}
