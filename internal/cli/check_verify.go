package cli

import (
	"fmt"
	"io"

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
