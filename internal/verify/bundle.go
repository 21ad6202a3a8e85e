package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// What a cosign image signature in the sigstore bundle format is: a DSSE
// envelope holding an in-toto statement of this predicate type whose
// subject is the image.
const (
	inTotoPayloadType   = "application/vnd.in-toto+json"
	cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
)

// sigstoreBundle is the part of a sigstore bundle (v0.3) key-based
// verification reads.
type sigstoreBundle struct {
	MediaType    string `json:"mediaType"`
	DSSEEnvelope *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
}

// inTotoStatement is the part of an in-toto statement verification reads.
type inTotoStatement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// checkBundle verifies one bundle against the image digest: the DSSE
// signature (over the DSSE pre-authentication encoding) must verify with a
// key, and the statement must be a cosign signature naming the digest. It
// returns the key's name, or one of the Reason constants.
func (v *Verifier) checkBundle(raw []byte, digest string) (string, string) {
	var b sigstoreBundle
	if err := json.Unmarshal(raw, &b); err != nil || b.DSSEEnvelope == nil || !strings.HasPrefix(b.MediaType, "application/vnd.dev.sigstore.bundle") {
		return "", ReasonUnreadable
	}
	env := b.DSSEEnvelope
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || env.PayloadType != inTotoPayloadType || len(env.Signatures) == 0 {
		return "", ReasonUnreadable
	}
	pae := dsse.PAE(env.PayloadType, payload)
	key := ""
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		if key = v.matchingKey(sig, pae); key != "" {
			break
		}
	}
	if key == "" {
		return "", ReasonWrongKey
	}
	named, ok := statementDigests(payload)
	if !ok {
		return "", ReasonUnreadable
	}
	for _, d := range named {
		if d == digest {
			return key, ""
		}
	}
	return "", ReasonOtherDigest
}

// statementDigests returns the sha256 subject digests ("sha256:<hex>") of a
// cosign signature statement; ok=false for anything else (another
// predicate type, such as an attestation, is not a signature).
func statementDigests(payload []byte) ([]string, bool) {
	var st inTotoStatement
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&st); err != nil {
		return nil, false
	}
	if !strings.HasPrefix(st.Type, "https://in-toto.io/Statement/") || st.PredicateType != cosignSignPredicate {
		return nil, false
	}
	var out []string
	for _, s := range st.Subject {
		h := s.Digest["sha256"]
		if _, err := hex.DecodeString(h); err == nil && len(h) == 64 {
			out = append(out, "sha256:"+strings.ToLower(h))
		}
	}
	return out, len(out) > 0
}
