package signature

import "testing"

func TestSignAndValid(t *testing.T) {
	secret, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	// GitHub's documented example (docs.github.com, "Validating webhook
	// deliveries"): this secret and payload give this signature.
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := Sign(secret, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	for _, c := range []struct {
		name   string
		secret string
		body   string
		header string
		valid  bool
	}{
		{"good", string(secret), string(body), want, true},
		{"other body", string(secret), "Hello, World?", want, false},
		{"other secret", "guess", string(body), want, false},
		{"no prefix", string(secret), string(body), want[len(Prefix):], false},
		{"not hex", string(secret), string(body), "sha256=zz", false},
		{"empty header", string(secret), string(body), "", false},
		{"empty secret", "", string(body), Sign(nil, body), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Valid([]byte(c.secret), []byte(c.body), c.header); got != c.valid {
				t.Errorf("Valid = %v, want %v", got, c.valid)
			}
		})
	}
}
