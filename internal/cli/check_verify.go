package cli

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/verify"
)

// cosignVerifier loads the --cosign-key files; nil without any. A key that
// cannot be read or parsed is an error naming the file.
func cosignVerifier(paths []string) (policy.Verifier, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	v, err := verify.LoadFiles(paths)
	if err != nil {
		return nil, fmt.Errorf("--cosign-key: %w", err)
	}
	return v, nil
}

// keylessFlags are the keyless verification flags of check and repo mode.
type keylessFlags struct {
	identity, identityRegexp, issuer, issuerRegexp, trustedRoot string
}

func (k *keylessFlags) register(f *pflag.FlagSet) {
	f.StringVar(&k.identity, "cosign-identity", "", "keyless: the signer (certificate SAN: e-mail or URI) a signature's certificate must name")
	f.StringVar(&k.identityRegexp, "cosign-identity-regexp", "", "keyless: regular expression the certificate's signer must match")
	f.StringVar(&k.issuer, "cosign-issuer", "", "keyless: the OIDC issuer the certificate must name")
	f.StringVar(&k.issuerRegexp, "cosign-issuer-regexp", "", "keyless: regular expression the certificate's OIDC issuer must match")
	f.StringVar(&k.trustedRoot, "trusted-root", "", "keyless: sigstore trusted_root.json (Fulcio CA, Rekor and TSA keys) to verify against, offline")
}

func (k keylessFlags) set() bool { return k != (keylessFlags{}) }

// signatureVerifier builds the verifier of --cosign-key files and the
// keyless flags: an image verifies with a key or with the identity. nil
// without any; an unusable setting is an error naming the flag.
func signatureVerifier(keys []string, kl keylessFlags) (policy.Verifier, error) {
	kv, err := cosignVerifier(keys)
	if err != nil || !kl.set() {
		return kv, err
	}
	if kl.trustedRoot == "" {
		return nil, fmt.Errorf("--cosign-identity/--cosign-issuer need --trusted-root FILE (verification is offline)")
	}
	k, err := verify.LoadKeyless(kl.trustedRoot, []verify.Identity{{Issuer: kl.issuer, IssuerRegexp: kl.issuerRegexp, Subject: kl.identity, SubjectRegexp: kl.identityRegexp}})
	if err != nil {
		return nil, fmt.Errorf("--trusted-root/--cosign-identity/--cosign-issuer: %w", err)
	}
	if kv == nil {
		return k, nil
	}
	return verify.Any{kv, k}, nil
}

// cosignSecretKeys loads the --cosign-secret mappings; nil without any. A
// malformed mapping or an unreadable key is an error naming the value.
func cosignSecretKeys(values []string) (repomode.SecretKeys, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := repomode.SecretKeys{}
	for _, val := range values {
		ref, file, err := repomode.ParseSecretKeyMapping(val)
		if err != nil {
			return nil, fmt.Errorf("--cosign-secret: %w", err)
		}
		if _, dup := out[ref]; dup {
			return nil, fmt.Errorf("--cosign-secret: %s is mapped twice", ref)
		}
		k, err := verify.LoadKeyFile(file)
		if err != nil {
			return nil, fmt.Errorf("--cosign-secret %s: %w", ref, err)
		}
		k.Name = ref
		out[ref] = k
	}
	return out, nil
}

// printVerdicts writes the -v table; with signature verification it has a
// SIGNATURE column ("-" for tags that were not checked).
func printVerdicts(w io.Writer, res checkResult) {
	if !res.Verified {
		fmt.Fprintln(w, "TAG\tELIGIBLE\tVERDICT")
		for _, v := range res.Verdicts {
			fmt.Fprintf(w, "%s\t%t\t%s\n", displayTag(v), v.Eligible, v.Reason)
		}
		return
	}
	fmt.Fprintln(w, "TAG\tELIGIBLE\tSIGNATURE\tVERDICT")
	for _, v := range res.Verdicts {
		sig := v.Signature
		if sig == "" {
			sig = "not checked"
		}
		fmt.Fprintf(w, "%s\t%t\t%s\t%s\n", displayTag(v), v.Eligible, sig, v.Reason)
	}
}
