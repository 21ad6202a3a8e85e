package verify

import "testing"

func FuzzParsePayload(f *testing.F) {
	f.Add(simplePayload(digestA))
	f.Add([]byte(`{"critical":{"type":"x"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParsePayload(b)
		if err == nil && d == "" {
			t.Fatal("accepted a payload without a digest")
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("junk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey("k", b)
		if err == nil && len(k.verifiers) == 0 {
			t.Fatal("accepted a key without verifiers")
		}
	})
}
