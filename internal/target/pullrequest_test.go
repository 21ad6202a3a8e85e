package target

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

func TestPullRequestFor(t *testing.T) {
	gh := &v1alpha1.GitHubPullRequest{}
	gitCfg := func(branch string, pr *v1alpha1.PullRequest) *v1alpha1.WriteBackConfig {
		return &v1alpha1.WriteBackConfig{Method: "git", GitConfig: &v1alpha1.GitConfig{Branch: branch, PullRequest: pr}}
	}
	images := []v1alpha1.ImageConfig{{Alias: "web", ImageName: "nginx"}}
	for name, tc := range map[string]struct {
		global, ref *v1alpha1.WriteBackConfig
		want        *PullRequest
		wantErr     string // "" for success; else a substring of the error
	}{
		"none": {global: gitCfg("main", nil)},
		"github": {
			global: gitCfg("main", &v1alpha1.PullRequest{GitHub: gh, Labels: []string{"deps"}}),
			want:   &PullRequest{Provider: ProviderGitHub, Labels: []string{"deps"}, Field: "spec.writeBackConfig.gitConfig.pullRequest"},
		},
		"gitlab with api url": {
			ref:  gitCfg("", &v1alpha1.PullRequest{GitLab: &v1alpha1.GitLabPullRequest{APIURL: "https://gl.example.com"}}),
			want: &PullRequest{Provider: ProviderGitLab, APIURL: "https://gl.example.com", Field: "spec.applicationRefs[0].writeBackConfig.gitConfig.pullRequest"},
		},
		"gitea": {
			ref:  gitCfg("main", &v1alpha1.PullRequest{Gitea: &v1alpha1.GiteaPullRequest{}}),
			want: &PullRequest{Provider: ProviderGitea, Field: "spec.applicationRefs[0].writeBackConfig.gitConfig.pullRequest"},
		},
		"ref replaces global as a whole": {
			global: gitCfg("main", &v1alpha1.PullRequest{GitHub: gh, Labels: []string{"a"}}),
			ref:    gitCfg("", &v1alpha1.PullRequest{Gitea: &v1alpha1.GiteaPullRequest{}}),
			want:   &PullRequest{Provider: ProviderGitea, Field: "spec.applicationRefs[0].writeBackConfig.gitConfig.pullRequest"},
		},
		"two providers": {
			global:  gitCfg("main", &v1alpha1.PullRequest{GitHub: gh, GitLab: &v1alpha1.GitLabPullRequest{}}),
			wantErr: "exactly one of github, gitlab or gitea must be set, got github, gitlab",
		},
		"no provider": {
			global:  gitCfg("main", &v1alpha1.PullRequest{Labels: []string{"x"}}),
			wantErr: "got none",
		},
		"argocd method": {
			global:  &v1alpha1.WriteBackConfig{Method: "argocd", GitConfig: &v1alpha1.GitConfig{PullRequest: &v1alpha1.PullRequest{GitHub: gh}}},
			wantErr: "need the git write-back method",
		},
		"write branch form": {
			global:  gitCfg("main:update-{{.SHA256}}", &v1alpha1.PullRequest{GitHub: gh}),
			wantErr: "plain base branch",
		},
		"api url with credentials": {
			global:  gitCfg("main", &v1alpha1.PullRequest{GitHub: &v1alpha1.GitHubPullRequest{APIURL: "https://user:tok@ghe.example.com/api/v3"}}),
			wantErr: "apiURL",
		},
		"api url not http": {
			global:  gitCfg("main", &v1alpha1.PullRequest{GitHub: &v1alpha1.GitHubPullRequest{APIURL: "ftp://ghe.example.com"}}),
			wantErr: "github.apiURL",
		},
		"empty label": {
			global:  gitCfg("main", &v1alpha1.PullRequest{GitHub: gh, Labels: []string{"ok", " "}}),
			wantErr: "labels[1]",
		},
	} {
		t.Run(name, func(t *testing.T) {
			spec := v1alpha1.ImageUpdaterSpec{WriteBackConfig: tc.global,
				ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", WriteBackConfig: tc.ref, Images: images}}}
			a := app("a", nil)
			targets, errs := TargetsFor(&spec, 0, &a)
			if tc.wantErr != "" {
				if len(targets) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrConfig) || !strings.Contains(errs[0].Error(), tc.wantErr) {
					t.Fatalf("targets %d errs %v, want a configuration error with %q", len(targets), errs, tc.wantErr)
				}
				if strings.Contains(errs[0].Error(), "tok@") {
					t.Fatalf("error leaks URL credentials: %v", errs[0])
				}
				return
			}
			if len(errs) != 0 || len(targets) != 1 {
				t.Fatalf("targets %d errs %v", len(targets), errs)
			}
			if got := targets[0].WriteBack.PullRequest; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("pull request %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@h/x": "https://redacted@h/x",
		"https://h/x":     "https://h/x",
		"%zz://u:p@h":     "<redacted>@h",
		"plain":           "plain",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
