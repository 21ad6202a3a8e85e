package updater

import (
	"testing"

	"github.com/imagepilot/imagepilot/internal/policy"
)

func TestNoteUnverified(t *testing.T) {
	tests := []struct {
		name     string
		verdicts []policy.Verdict
		want     string
	}{
		{name: "none", verdicts: []policy.Verdict{{Tag: "1.0", Signature: "verified: signed by k.pub"}}, want: "r"},
		{name: "one", verdicts: []policy.Verdict{{Tag: "2.0", Signature: "not verified: no signature"}, {Tag: "1.0", Signature: "verified: signed by k.pub"}}, want: "r; not verified: 2.0 (no signature)"},
		{name: "many", verdicts: []policy.Verdict{
			{Tag: "5", Signature: "not verified: wrong key"}, {Tag: "4", Signature: "not verified: wrong key"},
			{Tag: "3", Signature: "not verified: wrong key"}, {Tag: "2", Signature: "not verified: wrong key"},
		}, want: "r; not verified: 5 (wrong key), 4 (wrong key), 3 (wrong key), ..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := noteUnverified(Decision{Reason: "r"}, tt.verdicts).Reason; got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}
