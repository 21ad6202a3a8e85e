package repomode_test

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/internal/cli"
)

// TestPlanStructuredOutput runs plan against the real git server and
// registry with -o json and -o yaml (one schema) and --application.
func TestPlanStructuredOutput(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2")

	code, out, errOut := e.imagepilot(t, "plan", "-o", "json")
	if code != 0 {
		t.Fatalf("plan -o json: exit %d: %s", code, errOut)
	}
	var plan cli.PlanOutput
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan -o json is not JSON: %v\n%s", err, out)
	}
	if plan.Kind != "Plan" || plan.Summary.ToUpdate != 1 || len(plan.Decisions) != 1 || plan.Decisions[0].To != "v2" || len(plan.Changes) != 1 || !strings.Contains(plan.Changes[0].Diff, "v2") {
		t.Errorf("plan %+v", plan)
	}

	code, out, errOut = e.imagepilot(t, "plan", "-o", "yaml", "--application", "guestbook")
	if code != 0 {
		t.Fatalf("plan -o yaml --application: exit %d: %s", code, errOut)
	}
	var fromYAML cli.PlanOutput
	if err := yaml.Unmarshal([]byte(out), &fromYAML); err != nil || fromYAML.Summary.ToUpdate != 1 || fromYAML.Decisions[0].Application != plan.Decisions[0].Application {
		t.Errorf("plan -o yaml: %v\n%s", err, out)
	}

	code, _, errOut = e.imagepilot(t, "plan", "--application", "nosuchapp")
	if code != 2 || !strings.Contains(errOut, "--application nosuchapp: no application of that name") {
		t.Errorf("unknown application: exit %d: %s", code, errOut)
	}
	code, _, errOut = e.imagepilot(t, "plan", "-o", "xml")
	if code != 2 || !strings.Contains(errOut, "text, json, yaml") {
		t.Errorf("-o xml: exit %d: %s", code, errOut)
	}
	if e.head(t) == "" {
		t.Fatal("no head")
	}
}

// TestAppsPathThatDoesNotExist: a usage error naming the path and saying
// what to give, never an internal cache path.
func TestAppsPathThatDoesNotExist(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1")
	code, _, errOut := e.imagepilot(t, "plan", "--apps-path", "nosuchdir")
	if code != 2 || !strings.Contains(errOut, "nosuchdir") || strings.Contains(errOut, e.cacheDir) {
		t.Errorf("--apps-path nosuchdir: exit %d: %s", code, errOut)
	}
}

// TestRunOnceAppsPathThatDoesNotExist: run --once says the same, exit 2.
func TestRunOnceAppsPathThatDoesNotExist(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1")
	code, _, errOut := e.imagepilot(t, "run", "--once", "--apps-path", "apps/missing")
	if code != 2 || !strings.Contains(errOut, "--apps-path apps/missing: no such directory in the repository") || strings.Contains(errOut, e.cacheDir) {
		t.Errorf("run --once --apps-path apps/missing: exit %d: %s", code, errOut)
	}
}
