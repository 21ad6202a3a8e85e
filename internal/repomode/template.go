package repomode

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// templateReason starts the skip reason of template files.
const templateReason = "a template, not a manifest"

// templateAction matches Go template actions of the kinds that make a file
// a template rather than a manifest carrying a template in a value (as
// write-branch and commit-message annotations do): control structures,
// Helm's values and functions, variables and whitespace trimming.
var templateAction = regexp.MustCompile(`\{\{-?\s*(range|if|with|define|end|else|template|include|block|toYaml|tpl|\.Values|\.Release|\.Chart|\$)|\{\{-|-\}\}`)

// templateFile says why the file at p (under root) is a template whose
// manifests only exist once rendered, "" when it is a manifest: a file with
// template actions in a Helm chart's templates directory, or one whose
// template actions keep it from parsing as YAML.
func templateFile(root, p string, data []byte, m Manifests, parseErr error) string {
	if !bytes.Contains(data, []byte("{{")) {
		return ""
	}
	if inChartTemplates(root, p) {
		return templateReason + " (Helm chart template; Argo CD renders it)"
	}
	if parseErr != nil && templateAction.Match(data) {
		return templateReason + " (template syntax)"
	}
	for _, app := range m.Applications {
		if strings.Contains(app.Name, "{{") {
			return templateReason + " (template syntax in metadata.name)"
		}
	}
	return ""
}

// inChartTemplates reports whether p lies in the templates directory of a
// Helm chart (a directory holding Chart.yaml) under root.
func inChartTemplates(root, p string) bool {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	segs := strings.Split(filepath.ToSlash(r), "/")
	for i := len(segs) - 2; i >= 0; i-- {
		if segs[i] != "templates" {
			continue
		}
		chart := filepath.Join(append([]string{root}, segs[:i]...)...)
		if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err == nil {
			return true
		}
	}
	return false
}
