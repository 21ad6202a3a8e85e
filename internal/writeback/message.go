package writeback

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"github.com/imagepilot/imagepilot/internal/git"
)

// DefaultCommitTemplate is the commit message users of Argo CD Image Updater
// know for one application; templates receive CommitData. A commit of
// several applications keeps a short subject (their number) and names the
// application on each change line.
const DefaultCommitTemplate = `build: automatic update of {{ if le (len .Apps) 1 }}{{ .AppName }}{{ else }}{{ len .Apps }} applications{{ end }}

{{ range .AppChanges -}}
updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'{{ if gt (len $.Apps) 1 }} in {{ .App }}{{ end }}
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
	// Labels are the new image's OCI labels (its config's config.Labels,
	// as Argo CD Image Updater fills them); filled only when the commit
	// template uses them, nil when the image has none.
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

// BranchData is what write-branch templates receive: the fields of Argo
// CD Image Updater's, with the same values, so a template names the same
// branch for the same change.
type BranchData struct {
	// Images lists the moved images of the application.
	Images []BranchImage
	// SHA256 is the hex SHA-256 of "<name>-<old>-<new>," for each image in
	// Images, in order.
	SHA256 string
	// TargetKey is the first 8 hex digits of the SHA-256 of
	// "<repository>|<base branch setting>|<target path>".
	TargetKey string
	// AppName and AppNamespace name the application.
	AppName, AppNamespace string
}

// BranchImage is one image in BranchData.
type BranchImage struct {
	// Name is the image's repository path without the registry host (and
	// without Docker Hub's library/ unless it was written).
	Name string
	// Alias is the image's alias.
	Alias string
	// OldTag and NewTag are the versions: the digest when one is known
	// (OldTag) or followed (NewTag, digest strategy), else the tag.
	OldTag, NewTag string
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

// maxBranchLength is where a rendered write branch is cut, as upstream does.
const maxBranchLength = 255

// RenderBranch renders a write-branch template. Names longer than 255
// bytes are cut there (as upstream cuts them); a name that is not a valid
// branch name is an error.
func RenderBranch(text string, d BranchData) (string, error) {
	t, err := template.New("branch").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("write branch template %q: %w", text, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return "", fmt.Errorf("write branch template %q: %w", text, err)
	}
	branch := buf.String()
	if len(branch) > maxBranchLength {
		branch = branch[:maxBranchLength]
	}
	if err := git.ValidateBranch(branch); err != nil {
		return "", fmt.Errorf("write branch template %q renders %q, not a valid branch name: %w", text, branch, err)
	}
	return branch, nil
}
