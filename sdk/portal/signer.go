package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/lanes-dev/lanes/ent/schema/pulid"
	"github.com/lanes-dev/lanes/sdk/internal/origin"
)

// Signer makes and checks time-limited download URLs of files: an HMAC of
// the tenant, the file and the expiry, so a link works in a plain <a href>
// without credentials, for one file, for a while.
type Signer struct {
	key []byte
	// Path is where files are served (default /files/).
	Path string
}

// NewSigner returns a signer with the key; an empty key gets a random one
// (URLs then stop working when the process restarts; replicas need a shared
// LANES_SIGNING_KEY).
func NewSigner(key []byte) *Signer {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &Signer{key: key, Path: "/files/"}
}

func (s *Signer) mac(tenantID, fileID pulid.ID, exp int64) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s\x00%s\x00%d", tenantID, fileID, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL returns the download path of a file, valid until exp, under the
// mount prefix of the request in ctx.
func (s *Signer) URL(ctx context.Context, tenantID, fileID pulid.ID, exp time.Time) string {
	q := url.Values{}
	q.Set("exp", strconv.FormatInt(exp.Unix(), 10))
	q.Set("sig", s.mac(tenantID, fileID, exp.Unix()))
	return origin.Prefix(ctx) + s.Path + url.PathEscape(string(tenantID)) + "/" + url.PathEscape(string(fileID)) + "?" + q.Encode()
}

// Verify checks a download request's signature and expiry.
func (s *Signer) Verify(tenantID, fileID pulid.ID, exp, sig string, now time.Time) bool {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() > e {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(s.mac(tenantID, fileID, e)))
}
