package writeback

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// ErrTarget marks an unusable write-back target (bad kind, path escaping
// the repository).
var ErrTarget = errors.New("invalid write-back target")

// Target kinds of the write-back-target setting.
const (
	FileOverride      = "override"
	FileKustomization = "kustomization"
	FileHelmValues    = "helmvalues"
)

// File is the file a target's image lives in, relative to the repository root.
type File struct {
	// Kind is override, kustomization or helmvalues.
	Kind string
	// Path is slash-separated and relative to the repository root.
	Path string
}

// Layout resolves write-back files for targets.
type Layout struct {
	// ControllerNamespace is the namespace imagepilot runs in; applications
	// in other namespaces get .argocd-source-<namespace>_<app>.yaml.
	ControllerNamespace string
	// Cache, when set, keeps parsed files for Current (see NewLayout).
	Cache *ReadCache
}

// FileFor returns the file that holds the target's image.
func (l Layout) FileFor(t target.Target) (File, error) {
	spec := t.WriteBack.Target
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case spec == "":
		return l.resolve(t, FileOverride, l.overrideName(t.App))
	case kind == FileKustomization:
		f, err := l.resolve(t, FileKustomization, orDot(arg))
		f.Path = path.Join(f.Path, "kustomization.yaml")
		return f, err
	case kind == FileHelmValues:
		if arg == "" {
			arg = "values.yaml"
		}
		return l.resolve(t, FileHelmValues, arg)
	default:
		return l.resolve(t, FileOverride, spec)
	}
}

func (l Layout) overrideName(app target.AppRef) string {
	if app.Namespace != "" && l.ControllerNamespace != "" && app.Namespace != l.ControllerNamespace {
		return fmt.Sprintf(".argocd-source-%s_%s.yaml", app.Namespace, app.Name)
	}
	return fmt.Sprintf(".argocd-source-%s.yaml", app.Name)
}

// resolve makes rel relative to the repository root: a leading '/' means the
// root, anything else the source path. It refuses paths leaving the repository.
func (l Layout) resolve(t target.Target, kind, rel string) (File, error) {
	p := rel
	if !strings.HasPrefix(rel, "/") {
		p = t.Source.Path + "/" + rel
	}
	if strings.Contains(p, "\x00") || climbsAboveRoot(p) {
		return File{}, fmt.Errorf("%w: %q (source path %q) leaves the repository", ErrTarget, rel, t.Source.Path)
	}
	clean := strings.TrimPrefix(path.Clean("/"+p), "/")
	if clean == "" && kind != FileKustomization {
		return File{}, fmt.Errorf("%w: %q names the repository root, not a file", ErrTarget, rel)
	}
	return File{Kind: kind, Path: clean}, nil
}

// climbsAboveRoot reports whether walking p's segments from the repository
// root ever goes above it (path.Clean would silently drop such "..").
func climbsAboveRoot(p string) bool {
	depth := 0
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// kustomizationNames are the file names kustomize accepts, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// locate returns the absolute path of f under root, refusing symlink
// escapes. For kustomizations it finds whichever file name exists.
func locate(root string, f File) (string, error) {
	if f.Kind == FileKustomization {
		dir := path.Dir(f.Path)
		for _, n := range kustomizationNames {
			p, err := yamledit.SafeJoin(root, "/"+path.Join(dir, n))
			if err != nil {
				return "", fmt.Errorf("%w: %w", ErrTarget, err)
			}
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	p, err := yamledit.SafeJoin(root, "/"+f.Path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return p, nil
}

// writeFileAtomic replaces p through a temporary file and rename, keeping
// the mode of an existing file, so a crash never leaves half a file.
func writeFileAtomic(p string, data []byte) error {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(p); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating directory for %s: %w", filepath.Base(p), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".imagepilot-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(p), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", filepath.Base(p), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", filepath.Base(p), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(p), err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("replacing %s: %w", filepath.Base(p), err)
	}
	return nil
}
