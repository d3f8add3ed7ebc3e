package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix starts every signature.
const Prefix = "sha256="

// Sign returns the signature of body under secret: "sha256=<hex>".
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return Prefix + hex.EncodeToString(m.Sum(nil))
}

// Valid reports whether header is the signature of body under secret. The
// comparison takes the same time whatever the header holds.
func Valid(secret, body []byte, header string) bool {
	if len(secret) == 0 || !strings.HasPrefix(header, Prefix) {
		return false
	}
	got, err := hex.DecodeString(strings.TrimPrefix(header, Prefix))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
