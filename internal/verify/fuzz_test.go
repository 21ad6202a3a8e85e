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

func FuzzStatementDigests(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"aa"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, ok := statementDigests(b)
		if ok && len(ds) == 0 {
			t.Fatal("a statement without subjects was accepted")
		}
		for _, d := range ds {
			if len(d) != len("sha256:")+64 {
				t.Fatalf("malformed digest %q accepted", d)
			}
		}
	})
}
