package updater

import (
	"strings"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// maxUnverifiedNamed bounds the tags named in a decision's reason.
const maxUnverifiedNamed = 3

// noteUnverified adds to d's reason the tags that ranked above the chosen
// one (or were the only candidates) but failed signature verification, so
// plan output, logs and status say why a newer tag did not move the image.
func noteUnverified(d Decision, verdicts []policy.Verdict) Decision {
	var named []string
	n := 0
	for _, v := range verdicts {
		why, ok := strings.CutPrefix(v.Signature, "not verified: ")
		if !ok {
			continue
		}
		n++
		if len(named) < maxUnverifiedNamed {
			named = append(named, v.Tag+" ("+why+")")
		}
	}
	if n == 0 {
		return d
	}
	note := "; not verified: " + strings.Join(named, ", ")
	if n > len(named) {
		note += ", ..."
	}
	d.Reason += note
	return d
}
