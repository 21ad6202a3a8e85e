package writeback

import (
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

const (
	testRepo = "https://git.example.com/org/gitops.git"
	digest1  = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digest2  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

type move struct{ spec, oldTag, oldDigest, newTag, newDigest string }

func branchDecisions(t *testing.T, base target.Target, moves []move) []updater.Decision {
	t.Helper()
	var out []updater.Decision
	for _, m := range moves {
		spec, err := imagespec.Parse(m.spec)
		if err != nil {
			t.Fatal(err)
		}
		tg := base
		tg.Image = spec
		if m.newDigest != "" {
			tg.Policy.Strategy = policy.StrategyDigest
		}
		out = append(out, updater.Decision{Item: updater.Item{Target: tg, Current: updater.Current{Tag: m.oldTag, Digest: m.oldDigest}},
			Action: updater.ActionUpdate, NewTag: m.newTag, NewDigest: m.newDigest})
	}
	return out
}

// TestBranchDataMatchesUpstream checks SHA256 and TargetKey against values
// computed with sha256sum from upstream v1.3's definitions: SHA256 hashes
// "<image name>-<old>-<new>," per image (name without registry, old/new the
// digest when there is one); TargetKey is the first 8 hex digits of
// sha256("<repo>|<branch setting before ':'>|<target path>").
func TestBranchDataMatchesUpstream(t *testing.T) {
	l := Layout{ControllerNamespace: "argocd"}
	tests := []struct {
		name                   string
		ns, repo, wbRepo, path string
		branch, wbTarget       string
		moves                  []move
		sha, key               string
	}{
		{name: "default target", ns: "argocd", repo: testRepo, path: "apps/web", branch: "main:image-updater-{{.SHA256}}",
			moves: []move{{spec: "web=nginx", oldTag: "1.0", newTag: "1.1"}},
			sha:   "a150150ae01ca62eff6a2e8319db48be89978878178c47184eac413bd9283644", key: "cdd14418"},
		{name: "two images, registry dropped, library dropped", ns: "argocd", repo: testRepo, path: "apps/web", branch: "main",
			moves: []move{{spec: "ghcr.io/org/app", oldTag: "v1", newTag: "v2"}, {spec: "docker.io/library/redis", oldTag: "6", newTag: "7"}},
			sha:   "f31f6054244e4a30454879c77eb0619716b3f2073edb7b0f357add3c702b46ea", key: "cdd14418"},
		{name: "digests", ns: "argocd", repo: testRepo, path: "apps/web", branch: "main",
			moves: []move{{spec: "registry.example.com/team/web", oldTag: "stable", oldDigest: digest1, newTag: "stable", newDigest: digest2}},
			sha:   "15ee78b5d318727dc3209c3cab1f0fe837fd923b817db18b028d420d69bd273d", key: "cdd14418"},
		{name: "library written", ns: "argocd", repo: testRepo, path: "apps/web", branch: "main",
			moves: []move{{spec: "library/nginx", oldTag: "1.0", newTag: "1.1"}},
			sha:   "0b8ee982253f2a0acc1aa2e673e3ca81937f78de8b9fc5dc2f5993265561c319", key: "cdd14418"},
		{name: "helmvalues absolute, no base", ns: "argocd", repo: testRepo, path: "apps/web", branch: ":ip-{{.TargetKey}}", wbTarget: "helmvalues:/charts/values.yaml",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "90105603"},
		{name: "kustomization keeps the default target, other namespace", ns: "team", repo: testRepo, path: "apps/web", branch: "main", wbTarget: "kustomization:../base",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "a836a649"},
		{name: "helmvalues bare", ns: "argocd", repo: testRepo, path: "chart", branch: "main", wbTarget: "helmvalues",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "bdd66997"},
		{name: "helmvalues relative", ns: "argocd", repo: testRepo, path: "chart", branch: "main", wbTarget: "helmvalues:values-prod.yaml",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "92e57e05"},
		{name: "plain target as written", ns: "argocd", repo: testRepo, path: "chart", branch: "main", wbTarget: "/x/y.yaml",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "b6778e2a"},
		{name: "git-repository setting", ns: "argocd", repo: testRepo, wbRepo: "git@github.com:org/other.git", path: "apps/web", branch: "release:x",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "3f53ede7"},
		{name: "root path", ns: "argocd", repo: testRepo, path: ".", branch: "main",
			moves: []move{{spec: "nginx", oldTag: "1.0", newTag: "1.1"}}, key: "ac295da0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := target.Target{App: target.AppRef{Namespace: tt.ns, Name: "web"},
				WriteBack: target.WriteBack{Method: target.MethodGit, Target: tt.wbTarget, Branch: tt.branch, Repository: tt.wbRepo},
				Source:    target.Source{RepoURL: tt.repo, Path: tt.path}}
			ds := branchDecisions(t, base, tt.moves)
			d := branchData(ds[0].Target, l, ds)
			if tt.sha != "" && d.SHA256 != tt.sha {
				t.Errorf("SHA256 = %s, want %s", d.SHA256, tt.sha)
			}
			if d.TargetKey != tt.key {
				t.Errorf("TargetKey = %s, want %s", d.TargetKey, tt.key)
			}
			if d.AppName != "web" || d.AppNamespace != tt.ns || len(d.Images) != len(tt.moves) {
				t.Errorf("data = %+v", d)
			}
		})
	}
}

func TestBranchImagesAsUpstream(t *testing.T) {
	base := target.Target{App: target.AppRef{Name: "web"}, Source: target.Source{RepoURL: testRepo}}
	ds := branchDecisions(t, base, []move{{spec: "w=ghcr.io/org/app", oldTag: "v1", newTag: "v2"}, {spec: "registry.example.com/team/web", oldTag: "s", oldDigest: digest1, newTag: "s", newDigest: digest2}})
	got := branchData(ds[0].Target, Layout{}, ds).Images
	want := []BranchImage{{Name: "org/app", Alias: "w", OldTag: "v1", NewTag: "v2"}, {Name: "team/web", OldTag: digest1, NewTag: digest2}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Images = %+v, want %+v", got, want)
	}
	b, err := RenderBranch("image-updater{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}", BranchData{Images: got[:1]})
	if err != nil || b != "image-updater-org/app-v2" {
		t.Fatalf("RenderBranch = %q, %v", b, err)
	}
}

func TestRenderBranch(t *testing.T) {
	d := BranchData{AppName: "web", SHA256: strings.Repeat("ab", 32), TargetKey: "cdd14418"}
	tests := []struct {
		tmpl, want string
		ok         bool
	}{
		{"image-updater-{{.TargetKey}}-{{.SHA256}}", "image-updater-cdd14418-" + strings.Repeat("ab", 32), true},
		{"ip-{{ .AppName }}-{{ .SHA256 | printf \"%.8s\" }}", "ip-web-abababab", true},
		{"x" + strings.Repeat("y", 300), "x" + strings.Repeat("y", 254), true},
		{"", "", false},
		{"a b", "", false},
		{"x..y", "", false},
		{"{{ .Images }}", "", false},
		{"{{ .Nope }}", "", false},
		{"{{ .AppName ", "", false},
	}
	for _, tt := range tests {
		got, err := RenderBranch(tt.tmpl, d)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("RenderBranch(%q) = %q, %v; want %q ok=%v", tt.tmpl, got, err, tt.want, tt.ok)
		}
	}
}
