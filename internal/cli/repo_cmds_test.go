package cli

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/internal/demo"
)

// playground is the demo's registry (guestbook v1..v4, redis 6.0.5,
// 6.2.14, 7.2.4) and Git repository (guestbook at v1, redis at 6.0.5).
type playground struct {
	*demo.Playground
	// repoArgs point a repo-mode command at the repository.
	repoArgs []string
}

func newPlayground(t *testing.T) playground {
	t.Helper()
	p, err := demo.Start(context.Background())
	if err != nil {
		t.Skipf("demo playground: %v", err)
	}
	t.Cleanup(p.Close)
	return playground{Playground: p, repoArgs: []string{"--repo", p.RepoPath, "--registries-conf-path", p.RegistriesConf,
		"--git-cache-dir", t.TempDir(), "--git-commit-message-path", ""}}
}

// run runs a repo-mode command against the playground.
func (p playground) run(t *testing.T, env map[string]string, args ...string) ran {
	t.Helper()
	return execute(t, env, append(args, p.repoArgs...)...)
}

var (
	shaRE   = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	indexRE = regexp.MustCompile(`index [0-9a-f]+\.\.[0-9a-f]+`)
	timeRE  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	// commitRE is a commit hash as output shows it (12 characters).
	commitRE = regexp.MustCompile(`committed [0-9a-f]{12}\b`)
)

// normal replaces what differs between runs: the registry's port, the
// repository's path, digests, blob and commit hashes, times.
func (p playground) normal(s string) string {
	s = strings.ReplaceAll(s, p.Registry.Host, "REGISTRY")
	s = strings.ReplaceAll(s, p.RepoPath, "REPO")
	s = shaRE.ReplaceAllString(s, "sha256:DIGEST")
	s = indexRE.ReplaceAllString(s, "index A..B")
	s = commitRE.ReplaceAllString(s, "committed COMMIT")
	return timeRE.ReplaceAllString(s, "TIME")
}

const planDiff = `diff --git a/helm/.argocd-source-guestbook.yaml b/helm/.argocd-source-guestbook.yaml
index A..B 100644
--- /dev/null
+++ b/helm/.argocd-source-guestbook.yaml
@@ -0,0 +1,8 @@
+helm:
+  parameters:
+  - name: frontend.image.repository
+    value: REGISTRY/haoshuwei24/guestbook
+    forcestring: true
+  - name: frontend.image.tag
+    value: v4
+    forcestring: true
`

func TestPlanCommand(t *testing.T) {
	p := newPlayground(t)
	text := `Branch main: 1 application(s), 2 image(s)
  UPDATE argocd/guestbook guestbook: v1 -> v4
  SKIP   argocd/guestbook redis-master: 6.0.5 is already the newest eligible tag

file://REPO (main): would change:
` + planDiff + `
images: 1 to update, 1 skipped, 0 errors
`
	yamlOut := `apiVersion: imagepilot.io/v1
applications: 1
branch: main
changes:
- branch: main
  diff: |
` + indent(planDiff, "    ") + `  repository: file://REPO
decisions:
- action: update
  application: argocd/guestbook
  from: v1
  image: guestbook
  reason: v1 -> v4
  to: v4
- action: skip
  application: argocd/guestbook
  from: 6.0.5
  image: redis-master
  reason: 6.0.5 is already the newest eligible tag
  to: 6.0.5
kind: Plan
problems: []
skippedApplications: []
skippedFiles: []
summary:
  errors: 0
  skipped: 1
  toUpdate: 1
`
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string // the whole of stdout, normalised
		// wantErr is part of stderr
		wantErr string
	}{
		{name: "text", args: []string{"plan"}, want: text},
		{name: "yaml", args: []string{"plan", "-o", "yaml"}, want: yamlOut},
		{name: "text for one application by name", args: []string{"plan", "--application", "guestbook"}, want: text},
		{name: "yaml for one application by namespace/name", args: []string{"plan", "--application", "argocd/guestbook", "--output", "yaml"}, want: yamlOut},
		{name: "repository from the environment", args: []string{"plan"}, env: map[string]string{"IMAGEPILOT_BRANCH": "main"}, want: text},
		{name: "unknown application", args: []string{"plan", "--application", "nosuchapp"}, code: ExitUsage,
			wantErr: "imagepilot: --application nosuchapp: no application of that name manages an image in " + p.RepoPath + " (name, or namespace/name, as in the Application manifest)\n"},
		{name: "application in another namespace", args: []string{"plan", "--application", "prod/guestbook"}, code: ExitUsage, wantErr: "--application prod/guestbook: no application of that name"},
		{name: "apps path that does not exist", args: []string{"plan", "--apps-path", "nosuchdir"}, code: ExitUsage, wantErr: "nosuchdir"},
		{name: "branch that does not exist", args: []string{"plan", "--branch", "nosuchbranch"}, code: ExitFailedCycle, wantErr: "nosuchbranch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.run(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Fatalf("want exit %d; %s", tt.code, r)
			}
			if got := p.normal(r.out); tt.code == ExitOK && got != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.want)
			}
			if !strings.Contains(r.errOut, tt.wantErr) || (tt.wantErr == "" && r.errOut != "") {
				t.Errorf("stderr %q, want %q", r.errOut, tt.wantErr)
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

// TestPlanJSONMatchesYAML: -o json is the same document as -o yaml, and
// the plan commits nothing.
func TestPlanJSONMatchesYAML(t *testing.T) {
	p := newPlayground(t)
	before, err := p.LastCommit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j := p.run(t, nil, "plan", "-o", "json")
	y := p.run(t, nil, "plan", "-o", "yaml")
	if j.code != 0 || y.code != 0 {
		t.Fatalf("json: %s\nyaml: %s", j, y)
	}
	var fromJSON, fromYAML PlanOutput
	if err := json.Unmarshal([]byte(j.out), &fromJSON); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, j.out)
	}
	if err := yaml.Unmarshal([]byte(y.out), &fromYAML); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if string(a) != string(b) {
		t.Errorf("json and yaml differ:\n%s\n%s", a, b)
	}
	if !strings.HasPrefix(j.out, "{\n  \"apiVersion\": \"imagepilot.io/v1\",\n  \"kind\": \"Plan\",\n") {
		t.Errorf("json is not indented with apiVersion and kind first:\n%s", j.out)
	}
	if after, err := p.LastCommit(context.Background()); err != nil || after != before {
		t.Errorf("plan committed: %v", err)
	}
}

// TestHoldsCommandsOnTheRepository: hold, holds, plan, trigger and
// release work on the repository directly (--repo), in turn.
func TestHoldsCommandsOnTheRepository(t *testing.T) {
	p := newPlayground(t)
	steps := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
		// wantErr is part of stderr of a failed step
		wantErr string
	}{
		{"nothing held", []string{"holds"}, nil, ExitOK, "APPLICATION  IMAGE  VERSION  BY  SINCE  REASON\n", ""},
		{"nothing held, json", []string{"holds", "-o", "json"}, nil, ExitOK, "{\n  \"apiVersion\": \"imagepilot.io/v1\",\n  \"kind\": \"HoldList\",\n  \"holds\": []\n}\n", ""},
		{"hold at a version, by $USER", []string{"hold", "--application", "guestbook", "--image", "guestbook", "--version", "v2", "--reason", "hot fix"}, map[string]string{"USER": "alice"}, ExitOK,
			"held guestbook guestbook: pinned at v2 by alice since TIME: hot fix (imagepilot release to resume updates)\n", ""},
		{"the hold is listed", []string{"holds"}, nil, ExitOK,
			"APPLICATION  IMAGE      VERSION  BY     SINCE                 REASON\nguestbook    guestbook  v2       alice  TIME  hot fix\n", ""},
		{"the hold is listed, yaml", []string{"holds", "-o", "yaml"}, nil, ExitOK,
			"apiVersion: imagepilot.io/v1\nholds:\n- application: guestbook\n  by: alice\n  image: guestbook\n  reason: hot fix\n  since: \"TIME\"\n  version: v2\nkind: HoldList\n", ""},
		{"plan says it is held", []string{"plan"}, nil, ExitOK,
			"Branch main: 1 application(s), 2 image(s)\n  SKIP   argocd/guestbook guestbook: held at v2: pinned at v2 by alice since TIME: hot fix (imagepilot release to resume updates)\n  SKIP   argocd/guestbook redis-master: 6.0.5 is already the newest eligible tag\n\nimages: 0 to update, 2 skipped, 0 errors\n", ""},
		{"release", []string{"release", "--application", "guestbook", "--image", "guestbook"}, nil, ExitOK, "released guestbook guestbook\n", ""},
		{"trigger one image", []string{"trigger", "--image", "redis-master"}, nil, ExitOK,
			"skip   argocd/guestbook redis-master: 6.0.5 is already the newest eligible tag\n", ""},
		{"trigger all: the update is committed", []string{"trigger"}, nil, ExitOK,
			"update argocd/guestbook guestbook: v2 -> v4\nskip   argocd/guestbook redis-master: 6.0.5 is already the newest eligible tag\nfile://REPO (main): committed COMMIT\n", ""},
		{"trigger again: nothing moves", []string{"trigger", "-o", "json", "--application", "argocd/guestbook", "--image", "guestbook"}, nil, ExitOK,
			"{\n  \"apiVersion\": \"imagepilot.io/v1\",\n  \"kind\": \"TriggerResult\",\n  \"decisions\": [\n    {\n      \"application\": \"argocd/guestbook\",\n      \"image\": \"guestbook\",\n      \"action\": \"skip\",\n      \"from\": \"v4\",\n      \"to\": \"v4\",\n      \"reason\": \"v4 is already the newest eligible tag\"\n    }\n  ]\n}\n", ""},
		{"trigger an unknown application", []string{"trigger", "--application", "nosuchapp"}, nil, ExitFailedCycle, "", `imagepilot: not found: no managed image of application "nosuchapp"`},
		{"release what is not held", []string{"release", "--application", "guestbook", "--image", "redis-master"}, nil, ExitFailedCycle, "", `no hold for application "guestbook" image "redis-master"`},
	}
	for _, s := range steps {
		r := p.run(t, s.env, s.args...)
		if r.code != s.code {
			t.Fatalf("%s: want exit %d; %s", s.name, s.code, r)
		}
		if got := p.normal(r.out); got != s.want {
			t.Errorf("%s: stdout\n%s\nwant\n%s", s.name, got, s.want)
		}
		if s.code != ExitOK && !strings.Contains(r.errOut, s.wantErr) {
			t.Errorf("%s: stderr %q, want %q", s.name, r.errOut, s.wantErr)
		}
	}
	// The hold was written in the repository, with the trigger's commit
	// after it.
	commit, err := p.LastCommit(context.Background())
	if err != nil || !strings.Contains(commit, "v4") {
		t.Errorf("last commit %v:\n%s", err, commit)
	}
}

// TestDemoCommand runs the demo: one cycle on its own registry and
// repository, printing the report, the commit and the written file.
func TestDemoCommand(t *testing.T) {
	r := execute(t, nil, "demo")
	if r.code != ExitOK {
		t.Fatalf("demo: %s", r)
	}
	for _, want := range []string{
		"(guestbook v1..v4, redis 6.0.5/6.2.14/7.2.4)",
		"  UPDATE argocd/guestbook guestbook: v1 -> v4\n",
		"(main): committed ",
		"\n--- the commit imagepilot pushed ---\n",
		"\n--- helm/.argocd-source-guestbook.yaml ---\nhelm:\n",
		"    value: v4\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "kept ") {
		t.Error("without --keep the demo keeps its directory")
	}
}
