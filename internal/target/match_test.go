package target

import (
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
)

func TestTargetNamedAndInRepository(t *testing.T) {
	img, err := imagespec.Parse("web=reg.example/team/web:~1")
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{App: AppRef{Namespace: "argocd", Name: "guestbook"}, Image: img}
	named := []struct {
		app, image string
		want       bool
	}{
		{"", "", true},
		{"guestbook", "", true},
		{"argocd/guestbook", "", true},
		{"other/guestbook", "", false},
		{"", "web", true},
		{"", "reg.example/team/web", true},
		{"guestbook", "api", false},
		{"argocd/guestbook", "reg.example/team/web", true},
		{"argocd", "", false},
	}
	for _, tt := range named {
		if got := tg.Named(tt.app, tt.image); got != tt.want {
			t.Errorf("Named(%q, %q) = %v, want %v", tt.app, tt.image, got, tt.want)
		}
	}
	repos := []struct {
		registry, repository string
		want                 bool
	}{
		{"reg.example", "team/web", true},
		{"reg.example", "team/api", false},
		{"docker.io", "team/web", false},
		{"reg.example", "team/web/sub", false},
	}
	for _, tt := range repos {
		if got := tg.InRepository(tt.registry, tt.repository); got != tt.want {
			t.Errorf("InRepository(%q, %q) = %v, want %v", tt.registry, tt.repository, got, tt.want)
		}
	}
}
