package writeback

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/updater"
)

func TestUsesLabels(t *testing.T) {
	tests := []struct {
		name, text string
		want       bool
	}{
		{"default template", "", false},
		{"field", `{{ range .AppChanges }}{{ .Labels }}{{ end }}`, true},
		{"index", `{{ range .AppChanges }}{{ index .Labels "a" }}{{ end }}`, true},
		{"range over labels", `{{ range .AppChanges }}{{ range $k, $v := .Labels }}{{ $k }}{{ end }}{{ end }}`, true},
		{"if", `{{ range .AppChanges }}{{ if .Labels }}x{{ end }}{{ end }}`, true},
		{"with else", `{{ with .AppName }}{{ else }}{{ (index .AppChanges 0).Labels }}{{ end }}`, true},
		{"variable", `{{ range $c := .AppChanges }}{{ $c.Labels }}{{ end }}`, true},
		{"defined template", `{{ define "l" }}{{ .Labels }}{{ end }}{{ range .AppChanges }}{{ template "l" . }}{{ end }}`, true},
		{"prints a change whole", `{{ range .AppChanges }}{{ . }}{{ end }}`, true},
		{"prints all changes", `{{ .AppChanges }}`, true},
		{"prints a variable", `{{ range $c := .AppChanges }}{{ $c }}{{ end }}`, true},
		{"printf of a change", `{{ range .AppChanges }}{{ printf "%v" . }}{{ end }}`, true},
		{"index of changes", `{{ index .AppChanges 0 }}`, true},
		{"parenthesised", `{{ printf "%v" (index .AppChanges 0) }}`, true},
		{"root variable", `{{ $.AppChanges }}`, true},
		{"other fields", `{{ .AppName }} {{ range .AppChanges }}{{ .Image }} {{ .NewTag }}{{ end }}`, false},
		{"declaration is not printing", `{{ $n := .AppName }}{{ $n }}`, true},
		{"label in text only", `Labels: {{ .AppName }}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseCommitTemplate(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := UsesLabels(tmpl); got != tt.want {
				t.Errorf("UsesLabels(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

type failingLabels struct{}

func (failingLabels) Labels(context.Context) (map[string]string, error) {
	return nil, errors.New("registry down")
}

func TestWithLabels(t *testing.T) {
	decisions := []updater.Decision{
		{NewLabels: updater.StaticLabels{"a": "1"}},
		{},
	}
	changes, err := withLabels(t.Context(), make([]Change, 2), decisions)
	if err != nil {
		t.Fatal(err)
	}
	if changes[0].Labels["a"] != "1" || changes[1].Labels != nil {
		t.Errorf("labels %v", changes)
	}
	decisions[1].NewLabels = failingLabels{}
	if _, err := withLabels(t.Context(), make([]Change, 2), decisions); err == nil || !strings.Contains(err.Error(), "registry down") {
		t.Errorf("err = %v, want the lookup's error", err)
	}
}

var longNumber = regexp.MustCompile(`[0-9]{4,}`)

// FuzzUsesLabels: whenever UsesLabels says a template does not read
// .Labels, rendering it with labels gives the same text as without them
// (no false negative), and it never panics.
func FuzzUsesLabels(f *testing.F) {
	for _, s := range []string{"", DefaultCommitTemplate, `{{ range .AppChanges }}{{ .Labels }}{{ end }}`,
		`{{ range .AppChanges }}{{ printf "%v" . }}{{ end }}`, `{{ with index .AppChanges 0 }}{{ .Image }}{{ end }}`,
		`{{ define "x" }}{{ . }}{{ end }}{{ template "x" .AppChanges }}`, `{{ range $k, $v := (index .AppChanges 0).Labels }}{{ $k }}{{ end }}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 512 || longNumber.MatchString(text) || strings.Contains(text, "range") && strings.Count(text, "range") > 2 {
			return // keep execution small: no huge integer ranges
		}
		tmpl, err := ParseCommitTemplate(text)
		if err != nil {
			return
		}
		if UsesLabels(tmpl) {
			return
		}
		base := []Change{{App: "a", Image: "i", OldTag: "1", NewTag: "2"}}
		labelled := []Change{{App: "a", Image: "i", OldTag: "1", NewTag: "2", Labels: map[string]string{"k": "SENTINEL"}}}
		without, err1 := RenderCommit(tmpl, base)
		with, err2 := RenderCommit(tmpl, labelled)
		if (err1 == nil) != (err2 == nil) || without != with {
			t.Fatalf("template %q reads labels undetected: %q (%v) vs %q (%v)", text, without, err1, with, err2)
		}
	})
}
