package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Sign returns the webhook-signature value of a delivery: "v1,<base64
// HMAC-SHA256 of id.timestamp.body>" for each secret, space-separated
// (during a rotation a delivery carries both). Secrets are "whsec_" +
// base64 of the key.
func Sign(secrets []string, id string, timestamp time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", fmt.Errorf("webhook: no signing secret")
	}
	signed := id + "." + strconv.FormatInt(timestamp.Unix(), 10) + "."
	out := make([]string, len(secrets))
	for i, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
		if err != nil {
			return "", fmt.Errorf("webhook: secret %d is not base64: %w", i, err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(signed))
		mac.Write(body)
		out[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(out, " "), nil
}

// Headers returns the headers of one delivery attempt: the event ID (the
// same on every attempt), the attempt's time and its signatures.
func Headers(secrets []string, id string, timestamp time.Time, body []byte) (http.Header, error) {
	sig, err := Sign(secrets, id, timestamp, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(timestamp.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h, nil
}
