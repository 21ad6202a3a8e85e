package writeback

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// checkout writes files under a new directory.
func checkout(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	checkoutInto(t, root, files)
	return root
}

func checkoutInto(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// helmUpdate is a decision moving app's image spec from old to new in the
// Helm values file of path, keys prefix.repository and prefix.tag.
func helmUpdate(t testing.TB, app, spec, path, prefix, old, next string) updater.Decision {
	t.Helper()
	s, err := imagespec.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	tg := target.Target{App: target.AppRef{Namespace: "argocd", Name: app}, Image: s,
		WriteBack: target.WriteBack{Method: target.MethodGit, Target: "helmvalues"},
		Source:    target.Source{Path: path, Kind: target.KindHelm},
		Manifest:  target.Manifest{HelmName: prefix + ".repository", HelmTag: prefix + ".tag"}}
	return updater.Decision{Item: updater.Item{Target: tg, Current: updater.Current{Tag: old, Live: true}}, Action: updater.ActionUpdate, NewTag: next}
}

func readBack(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEditorLeavesOutOnlyTheFailingApplication(t *testing.T) {
	healthy := "web:\n  repository: reg/web\n  tag: v1\n"
	tests := []struct {
		name   string
		files  map[string]string
		broken updater.Decision
		want   error
	}{
		{"alias", map[string]string{"b/values.yaml": "c: &c\n  repository: reg/b\n  tag: v1\nimg: *c\n"},
			helmUpdate(t, "b", "reg/b", "b", "img", "v1", "v2"), yamledit.ErrAlias},
		{"missing values file", map[string]string{},
			helmUpdate(t, "b", "reg/b", "b", "img", "v1", "v2"), ErrTarget},
		{"file too large", map[string]string{"b/values.yaml": "img:\n  tag: v1\n" + strings.Repeat("#\n", yamledit.MaxFileSize/2)},
			helmUpdate(t, "b", "reg/b", "b", "img", "v1", "v2"), ErrTarget},
		{"not yaml", map[string]string{"b/values.yaml": "img: [\n"},
			helmUpdate(t, "b", "reg/b", "b", "img", "v1", "v2"), yamledit.ErrParse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"a/values.yaml": healthy}
			for k, v := range tt.files {
				files[k] = v
			}
			root := checkout(t, files)
			// The broken application's second image shares its file: it must
			// not go out on its own either.
			second := tt.broken
			second.Target.Image.Alias = "second"
			ed := &groupEditor{decisions: []updater.Decision{tt.broken, helmUpdate(t, "a", "reg/web", "a", "web", "v1", "v2"), second}, write: true}
			changed, err := ed.apply(context.Background(), root)
			if err != nil || !changed {
				t.Fatalf("apply = %v, %v", changed, err)
			}
			if len(ed.failed) != 1 || !errors.Is(ed.failed[0].err, tt.want) || len(ed.failed[0].decisions) != 2 {
				t.Fatalf("failed = %+v, want the broken application with %v", ed.failed, tt.want)
			}
			if !strings.Contains(ed.failed[0].err.Error(), "argocd/b") {
				t.Errorf("error does not name the application: %v", ed.failed[0].err)
			}
			if len(ed.applied) != 1 || ed.applied[0].Target.App.Name != "a" {
				t.Fatalf("applied = %v", ed.applied)
			}
			if got := readBack(t, root, "a/values.yaml"); got != strings.Replace(healthy, "v1", "v2", 1) {
				t.Fatalf("healthy file:\n%s", got)
			}
			for name, content := range tt.files {
				if got := readBack(t, root, name); got != content {
					t.Errorf("%s changed:\n%s", name, got)
				}
			}
		})
	}
}

func TestEditorSharesFileBetweenImagesAndApplications(t *testing.T) {
	values := "# shared\na:\n  repository: reg/a\n  tag: v1\nb:\n  repository: reg/b\n  tag: '1.0'\n"
	root := checkout(t, map[string]string{"c/values.yaml": values})
	ed := &groupEditor{decisions: []updater.Decision{
		helmUpdate(t, "x", "reg/a", "c", "a", "v1", "v2"),
		helmUpdate(t, "y", "reg/b", "c", "b", "1.0", "1.10"),
	}}
	if changed, err := ed.apply(context.Background(), root); err != nil || !changed || len(ed.failed) > 0 {
		t.Fatalf("apply = %v, %v, failed %v", changed, err, ed.failed)
	}
	if got := readBack(t, root, "c/values.yaml"); got != values {
		t.Fatalf("dry run wrote the file:\n%s", got)
	}
	want := "# shared\na:\n  repository: reg/a\n  tag: v2\nb:\n  repository: reg/b\n  tag: '1.10'\n"
	if f := ed.files.files["c/values.yaml"]; f == nil || string(f.data) != want {
		t.Fatalf("rendered:\n%s", f.data)
	}
	if d := ed.diff(); !strings.Contains(d, "+  tag: v2") || !strings.Contains(d, "+  tag: '1.10'") {
		t.Fatalf("diff:\n%s", d)
	}
}

func TestEditorWritesThroughSymlink(t *testing.T) {
	root := checkout(t, map[string]string{"shared/values.yaml": "img:\n  repository: reg/b\n  tag: v1\n"})
	if err := os.MkdirAll(filepath.Join(root, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared/values.yaml", filepath.Join(root, "b", "values.yaml")); err != nil {
		t.Fatal(err)
	}
	ed := &groupEditor{decisions: []updater.Decision{helmUpdate(t, "b", "reg/b", "b", "img", "v1", "v2")}, write: true}
	if _, err := ed.apply(context.Background(), root); err != nil || len(ed.failed) > 0 {
		t.Fatalf("apply: %v %v", err, ed.failed)
	}
	st, err := os.Lstat(filepath.Join(root, "b", "values.yaml"))
	if err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", st.Mode(), err)
	}
	if got := readBack(t, root, "shared/values.yaml"); !strings.Contains(got, "tag: v2") {
		t.Fatalf("target not written:\n%s", got)
	}
}

func TestEditorRefusesGitDirTargets(t *testing.T) {
	for _, tgtPath := range []string{"/.git/HEAD", "/.git/hooks/pre-commit", "/.GIT/x", "/link/HEAD"} {
		t.Run(tgtPath, func(t *testing.T) {
			root := checkout(t, map[string]string{".git/HEAD": "ref: refs/heads/main\n"})
			if err := os.Symlink(".git", filepath.Join(root, "link")); err != nil {
				t.Fatal(err)
			}
			d := helmUpdate(t, "b", "reg/b", "b", "img", "v1", "v2")
			d.Target.WriteBack.Target = tgtPath
			ed := &groupEditor{decisions: []updater.Decision{d}, write: true}
			if _, err := ed.apply(context.Background(), root); err != nil {
				t.Fatal(err)
			}
			if len(ed.failed) != 1 || !errors.Is(ed.failed[0].err, yamledit.ErrGitDir) {
				t.Fatalf("failed = %+v, want ErrGitDir", ed.failed)
			}
			if got := readBack(t, root, ".git/HEAD"); got != "ref: refs/heads/main\n" {
				t.Fatalf(".git/HEAD changed: %q", got)
			}
			if _, err := os.Stat(filepath.Join(root, ".git", "hooks", "pre-commit")); err == nil {
				t.Fatal("hook written")
			}
		})
	}
}

func TestEditorStopsWhenCancelled(t *testing.T) {
	root := checkout(t, map[string]string{"a/values.yaml": "web:\n  tag: v1\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ed := &groupEditor{decisions: []updater.Decision{helmUpdate(t, "a", "reg/web", "a", "web", "v1", "v2")}, write: true}
	if _, err := ed.apply(ctx, root); !errors.Is(err, context.Canceled) {
		t.Fatalf("apply err = %v, want context.Canceled", err)
	}
	if got := readBack(t, root, "a/values.yaml"); got != "web:\n  tag: v1\n" {
		t.Fatalf("written after cancel:\n%s", got)
	}
}

// bigValuesFile is a Helm values file of about size bytes with n images.
func bigValuesFile(size, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "img%d:\n  repository: reg/img%d\n  tag: v1\n", i, i)
	}
	b.WriteString("config:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  key%07d: value-%07d\n", i, i)
	}
	return b.String()
}

// BenchmarkEditLargeValuesFile edits 4 images of one application in a
// 2 MB values file (dry run: rendered, not written).
func BenchmarkEditLargeValuesFile(b *testing.B) {
	root := checkout(b, map[string]string{"c/values.yaml": bigValuesFile(2<<20, 4)})
	var ds []updater.Decision
	for i := 0; i < 4; i++ {
		ds = append(ds, helmUpdate(b, "app", fmt.Sprintf("reg/img%d", i), "c", fmt.Sprintf("img%d", i), "v1", "v2"))
	}
	for b.Loop() {
		ed := &groupEditor{decisions: ds}
		if changed, err := ed.apply(context.Background(), root); err != nil || !changed || len(ed.failed) > 0 {
			b.Fatalf("apply = %v, %v, %v", changed, err, ed.failed)
		}
	}
}

// BenchmarkLayoutWrite2MB sets one image in a 2 MB values file with
// Layout.Write (the API the pins use; it exists before and after the
// change, so the figures compare).
func BenchmarkLayoutWrite2MB(b *testing.B) {
	content := bigValuesFile(2<<20, 1)
	root := checkout(b, map[string]string{"c/values.yaml": content})
	d := helmUpdate(b, "app", "reg/img0", "c", "img0", "v1", "v2")
	for b.Loop() {
		if err := os.WriteFile(filepath.Join(root, "c", "values.yaml"), []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
		if changed, err := (Layout{}).Write(root, d.Target, Value{Name: "reg/img0", Tag: "v2"}); err != nil || !changed {
			b.Fatalf("Write = %v, %v", changed, err)
		}
	}
}
