package target

import (
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// TestTargetsForServiceAccountNamespace: a pullSecret may federate only
// service accounts of the Application's (the ImageUpdater's) namespace;
// other references are not affected.
func TestTargetsForServiceAccountNamespace(t *testing.T) {
	tests := []struct {
		name, appNS, pullSecret, want string // want "" = accepted
	}{
		{"own namespace", "team-a", "provider:aws?serviceAccount=team-a/ecr&region=eu-west-1", ""},
		{"own namespace, azure", "team-a", "provider:azure?serviceAccount=team-a/acr", ""},
		{"another namespace", "team-b", "provider:aws?serviceAccount=team-a/ecr", `serviceAccount=team-a/ecr is in namespace "team-a"; an ImageUpdater may use service accounts of its own namespace "team-b" only`},
		{"escaped slash is still the namespace", "team-b", "provider:azure?serviceAccount=team-a%2Facr", `namespace "team-a"`},
		{"provider without service account", "team-b", "provider:aws", ""},
		{"other reference kinds", "team-b", "pullsecret:team-a/regcred", ""},
		{"no pull secret", "team-b", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := app("a", nil)
			a.Namespace = tt.appNS
			ps := tt.pullSecret
			spec := v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{
				NamePattern:          "a",
				CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{PullSecret: &ps},
				Images:               []v1alpha1.ImageConfig{{Alias: "api", ImageName: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api"}},
			}}}
			targets, errs := TargetsFor(&spec, 0, &a)
			if tt.want == "" {
				if len(errs) != 0 || len(targets) != 1 {
					t.Fatalf("targets %d, errs %v; want the image accepted", len(targets), errs)
				}
				return
			}
			if len(targets) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) || !strings.Contains(errs[0].Error(), "image api") {
				t.Fatalf("targets %d, errs %v; want %q", len(targets), errs, tt.want)
			}
		})
	}
}
