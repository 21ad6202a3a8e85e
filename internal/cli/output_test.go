package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func sampleReport() repomode.Report {
	tgt := target.Target{App: target.AppRef{Namespace: "argocd", Name: "guestbook"}, Image: imagespec.Spec{Alias: "web", Name: "ghcr.io/team/web"}}
	d := updater.Decision{Item: updater.Item{Target: tgt, Current: updater.Current{Tag: "v1"}}, Action: updater.ActionUpdate, NewTag: "v2", Reason: "v2 is newer"}
	return repomode.Report{
		Branch: "main",
		Result: cycle.Result{
			Applications: 1, Decisions: []updater.Decision{d},
			Git:      []writeback.GroupResult{{RepoURL: "https://user:secret@git.example.com/gitops.git", Branch: "main", Diff: "-v1\n+v2\n", Conflicts: []updater.Decision{d}}},
			Problems: []error{errors.New("apps/bad.yaml: bad annotation")},
		},
	}
}

func TestPlanOutputSchema(t *testing.T) {
	out := planOutput(sampleReport())
	if out.APIVersion != outputSchema || out.Kind != "Plan" || out.Branch != "main" || out.Applications != 1 {
		t.Errorf("header %+v", out)
	}
	if len(out.Decisions) != 1 || out.Decisions[0].Application != "argocd/guestbook" || out.Decisions[0].From != "v1" || out.Decisions[0].To != "v2" {
		t.Errorf("decisions %+v", out.Decisions)
	}
	if len(out.Changes) != 1 || strings.Contains(out.Changes[0].Repository, "secret") || out.Changes[0].Diff == "" || len(out.Changes[0].Conflicts) != 1 {
		t.Errorf("changes %+v", out.Changes)
	}
	if len(out.Problems) != 1 || out.SkippedFiles == nil || out.SkippedApplications == nil {
		t.Errorf("lists %+v", out)
	}
	if out.Summary.ToUpdate != 1 {
		t.Errorf("summary %+v", out.Summary)
	}
}

// TestStructuredFormatsShareOneSchema: JSON and YAML of the same value have
// the same field names.
func TestStructuredFormatsShareOneSchema(t *testing.T) {
	values := []any{planOutput(sampleReport()), versionOutput(), HoldsOutput{APIVersion: outputSchema, Kind: "HoldList"}}
	for _, v := range values {
		var j, y bytes.Buffer
		if err := writeStructured(&j, outputJSON, v); err != nil {
			t.Fatal(err)
		}
		if err := writeStructured(&y, outputYAML, v); err != nil {
			t.Fatal(err)
		}
		var fromJSON, fromYAML map[string]any
		if err := json.Unmarshal(j.Bytes(), &fromJSON); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(y.Bytes(), &fromYAML); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(fromJSON)
		b, _ := json.Marshal(fromYAML)
		if !bytes.Equal(a, b) {
			t.Errorf("JSON and YAML differ:\n%s\n%s", a, b)
		}
		if fromJSON["apiVersion"] != outputSchema {
			t.Errorf("no apiVersion in %s", j.String())
		}
	}
	if err := writeStructured(&bytes.Buffer{}, outputText, 1); err == nil {
		t.Error("text is not structured: no error")
	}
}

func TestCheckOutput(t *testing.T) {
	tests := []struct {
		format string
		ok     bool
	}{{"text", true}, {"json", true}, {"yaml", true}, {"xml", false}, {"", false}, {"JSON", false}}
	for _, tt := range tests {
		err := checkOutput(tt.format, outputFormats)
		if (err == nil) != tt.ok {
			t.Errorf("%q: %v", tt.format, err)
		}
		if err != nil && (!isUsage(err) || !strings.Contains(err.Error(), "text, json, yaml")) {
			t.Errorf("%q: %v is not a usage error listing the formats", tt.format, err)
		}
	}
}

func TestCheckVerdictsAreCamelCase(t *testing.T) {
	b, err := json.Marshal(checkVerdicts([]policy.Verdict{{Tag: "v1", Eligible: true, Reason: policy.ReasonChosen}}))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[{"tag":"v1","eligible":true,"reason":"`+policy.ReasonChosen+`"}]` {
		t.Errorf("%s", b)
	}
	if checkVerdicts(nil) != nil {
		t.Error("nil verdicts not nil")
	}
}

func TestApplicationMatcher(t *testing.T) {
	app := target.Target{App: target.AppRef{Namespace: "team-a", Name: "web"}}
	tests := []struct {
		name string
		want bool
	}{{"web", true}, {"team-a/web", true}, {"team-b/web", false}, {"we", false}, {"", false}}
	for _, tt := range tests {
		if got := applicationMatcher(tt.name)(app); got != tt.want {
			t.Errorf("%q: %v", tt.name, got)
		}
	}
}

// complete asks the command line for completions, as a shell would.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Execute(context.Background(), append([]string{"__complete"}, args...), &out, &errOut); code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, errOut.String())
	}
	var values []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, ":") {
			values = append(values, l)
		}
	}
	return values
}

func TestFlagValueCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--update-strategy", ""}, "semver newest-build latest alphabetical name digest"},
		{[]string{"run", "--loglevel", ""}, "debug info warn error"},
		{[]string{"run", "--logformat", ""}, "text json"},
		{[]string{"plan", "-o", ""}, "text json yaml"},
		{[]string{"holds", "--output", ""}, "text json yaml"},
		{[]string{"check", "--output", ""}, "text json"},
		{[]string{"version", "-o", ""}, "text json yaml"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if got := strings.Join(complete(t, tt.args...), " "); got != tt.want {
				t.Errorf("completions %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionOutput(t *testing.T) {
	tests := []struct {
		args  []string
		code  int
		check func(string) bool
	}{
		{[]string{"version", "-o", "json"}, 0, func(s string) bool {
			var v VersionOutput
			return json.Unmarshal([]byte(s), &v) == nil && v.Kind == "Version" && v.Version == version && v.GoVersion != ""
		}},
		{[]string{"version", "-o", "yaml"}, 0, func(s string) bool { return strings.Contains(s, "kind: Version") }},
		{[]string{"version", "-o", "xml"}, ExitUsage, func(string) bool { return true }},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := Execute(context.Background(), tt.args, &out, &errOut)
		if code != tt.code || !tt.check(out.String()) {
			t.Errorf("%v: exit %d, %q %q", tt.args, code, out.String(), errOut.String())
		}
	}
}
