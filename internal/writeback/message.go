package writeback

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// DefaultCommitTemplate is the commit message users of Argo CD Image Updater
// know; templates receive CommitData.
const DefaultCommitTemplate = `build: automatic update of {{ .AppName }}

{{ range .AppChanges -}}
updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'
{{ end -}}
`

// Change is one image moved in one application.
type Change struct {
	// App and AppNamespace name the application.
	App, AppNamespace string
	// Alias is the image alias; Image the image name.
	Alias, Image string
	// OldTag and NewTag are the versions (tag or tag@digest).
	OldTag, NewTag string
	// File is the file changed, relative to the repository root.
	File string
	// Labels are the application's labels.
	Labels map[string]string
}

// CommitData is what commit message templates receive.
type CommitData struct {
	// AppName is the application, or the applications joined by ", ".
	AppName string
	// AppNamespace is the application's namespace (the first one's).
	AppNamespace string
	// AppChanges lists every change in the commit.
	AppChanges []Change
	// Apps lists the applications in the commit.
	Apps []string
}

// BranchData is what write-branch templates receive.
type BranchData struct {
	// Images lists the moved images.
	Images []BranchImage
	// SHA256 is a hash of the changes, stable for the same set.
	SHA256 string
	// TargetKey identifies the repository and base branch.
	TargetKey string
	// AppName and AppNamespace name the application.
	AppName, AppNamespace string
}

// BranchImage is one image in BranchData.
type BranchImage struct {
	Name, Alias, OldTag, NewTag string
}

// ParseCommitTemplate parses a commit message template; empty text means
// DefaultCommitTemplate.
func ParseCommitTemplate(text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		text = DefaultCommitTemplate
	}
	t, err := template.New("commit-message").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("commit message template: %w", err)
	}
	return t, nil
}

// RenderCommit renders a commit message for changes.
func RenderCommit(t *template.Template, changes []Change) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, commitData(changes)); err != nil {
		return "", fmt.Errorf("commit message template: %w", err)
	}
	return buf.String(), nil
}

func commitData(changes []Change) CommitData {
	d := CommitData{AppChanges: changes}
	seen := map[string]bool{}
	for _, c := range changes {
		if !seen[c.App] {
			seen[c.App] = true
			d.Apps = append(d.Apps, c.App)
		}
	}
	sort.Strings(d.Apps)
	d.AppName = strings.Join(d.Apps, ", ")
	if len(changes) > 0 {
		d.AppNamespace = changes[0].AppNamespace
	}
	return d
}

// RenderBranch renders a write-branch template for one application's changes.
func RenderBranch(text, targetKey string, changes []Change) (string, error) {
	t, err := template.New("branch").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("write branch template %q: %w", text, err)
	}
	d := BranchData{TargetKey: targetKey}
	h := sha256.New()
	for _, c := range changes {
		d.Images = append(d.Images, BranchImage{Name: c.Image, Alias: c.Alias, OldTag: c.OldTag, NewTag: c.NewTag})
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\n", c.App, c.Image, c.OldTag, c.NewTag)
		d.AppName, d.AppNamespace = c.App, c.AppNamespace
	}
	d.SHA256 = hex.EncodeToString(h.Sum(nil))
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return "", fmt.Errorf("write branch template %q: %w", text, err)
	}
	branch := strings.TrimSpace(buf.String())
	if branch == "" || strings.ContainsAny(branch, " ~^:?*[\\") || strings.Contains(branch, "..") {
		return "", fmt.Errorf("write branch template %q renders %q, not a valid branch name", text, branch)
	}
	return branch, nil
}
