package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/repomode"
)

// TestStructuredFormatsShareOneSchema: JSON and YAML of the same value have
// the same field names.
func TestStructuredFormatsShareOneSchema(t *testing.T) {
	values := []any{repomode.Report{Branch: "main"}.Plan(), versionOutput(), HoldsOutput{APIVersion: outputSchema, Kind: "HoldList"}}
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
