package writeback

import (
	"context"
	"errors"
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
