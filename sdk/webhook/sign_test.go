package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The Standard Webhooks specification's own test vector.
func TestSignMatchesTheSpecificationVector(t *testing.T) {
	sig, err := Sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
}

// verify is a receiver's check written from the specification, not from
// Sign: any one of the space-separated v1 signatures must match.
func verify(secret, id, timestamp string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, timestamp, body)
	want := mac.Sum(nil)
	for _, part := range strings.Fields(header) {
		version, value, ok := strings.Cut(part, ",")
		got, err := base64.StdEncoding.DecodeString(value)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// During a rotation a delivery carries one signature per secret: a
// receiver with either verifies it; one with another secret, or a changed
// body, ID or timestamp, does not.
func TestHeadersSignWithEverySecret(t *testing.T) {
	current, previous := "whsec_"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"id":"evt_1","type":"project.moved"}`)
	at := time.Unix(1796000000, 0)
	h, err := Headers([]string{current, previous}, "evt_1", at, body)
	require.NoError(t, err)
	require.Equal(t, "evt_1", h.Get("webhook-id"))
	require.Equal(t, "1796000000", h.Get("webhook-timestamp"))
	require.Len(t, strings.Fields(h.Get("webhook-signature")), 2)
	sig := h.Get("webhook-signature")
	require.True(t, verify(current, "evt_1", "1796000000", body, sig))
	require.True(t, verify(previous, "evt_1", "1796000000", body, sig))
	require.False(t, verify("whsec_"+base64.StdEncoding.EncodeToString([]byte("another key of thirty-two bytes!")), "evt_1", "1796000000", body, sig))
	require.False(t, verify(current, "evt_1", "1796000000", []byte(`{"id":"evt_1","type":"project.created"}`), sig))
	require.False(t, verify(current, "evt_2", "1796000000", body, sig))
	require.False(t, verify(current, "evt_1", "1796000001", body, sig))

	_, err = Sign(nil, "evt_1", at, body)
	require.Error(t, err)
	_, err = Sign([]string{"whsec_not base64!"}, "evt_1", at, body)
	require.Error(t, err)
}
