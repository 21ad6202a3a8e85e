package writeback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// workFiles are the files one apply run reads and edits, by resolved path:
// each is read once (at most yamledit.MaxFileSize) and parsed once, however
// many images and applications use it.
type workFiles struct {
	root  string // the checkout root, symbolic links resolved
	files map[string]*workFile
}

// workFile is one file during an apply run.
type workFile struct {
	// rel is the slash-separated path from the root, symbolic links
	// resolved; abs is where the file is written (a link's target, so the
	// link stays a link).
	rel, abs string
	exists   bool
	// before is the content when the run started; data the content with
	// the accepted applications' edits.
	before, data []byte
	// doc is data parsed, shared by the edits and reads of Helm values and
	// kustomizations; override is data read as an override file. Both are
	// nil until needed, and dropped when data changes under them.
	doc      *yamledit.Doc
	override *yamledit.SourceOverride
}

func newWorkFiles(root string) (*workFiles, error) {
	r, err := realRoot(root)
	if err != nil {
		return nil, err
	}
	return &workFiles{root: r, files: map[string]*workFile{}}, nil
}

// get returns f's state, reading it on first use.
func (w *workFiles) get(ctx context.Context, f File) (*workFile, error) {
	p, err := locate(w.root, f)
	if err != nil {
		return nil, err
	}
	abs, rel, err := w.resolve(p)
	if err != nil {
		return nil, err
	}
	if wf, ok := w.files[rel]; ok {
		return wf, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, exists, err := readFile(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	wf := &workFile{rel: rel, abs: abs, exists: exists, before: data, data: data}
	w.files[rel] = wf
	return wf, nil
}

// resolve follows a symbolic link at p (or in its directory) to the file
// it names. locate has checked that the link stays inside the repository
// and out of its git directory; the resolved path is checked again.
func (w *workFiles) resolve(p string) (abs, rel string, err error) {
	abs = p
	if real, err := filepath.EvalSymlinks(p); err == nil {
		abs = real
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		abs = filepath.Join(dir, filepath.Base(p))
	}
	r, err := filepath.Rel(w.root, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%w: %s resolves outside the repository", ErrTarget, p)
	}
	rel = filepath.ToSlash(r)
	if _, err := yamledit.SafeJoin(w.root, "/"+rel); err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return abs, rel, nil
}

// changed lists the files whose content differs from the start, by path.
func (w *workFiles) changed() []*workFile {
	var out []*workFile
	for _, f := range w.files {
		if !bytes.Equal(f.before, f.data) || (!f.exists && f.data != nil) {
			out = append(out, f)
		}
	}
	return sortedFiles(out)
}

// parsed returns data parsed for editing (checking ctx before parsing).
func (f *workFile) parsed(ctx context.Context) (*yamledit.Doc, error) {
	if f.doc != nil {
		return f.doc, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := yamledit.Parse(f.data)
	if err != nil {
		return nil, err
	}
	f.doc = d
	return d, nil
}

// overrideFile returns data read as an .argocd-source file.
func (f *workFile) overrideFile(ctx context.Context) (*yamledit.SourceOverride, error) {
	if f.override != nil {
		return f.override, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ov, err := yamledit.ReadSourceOverride(f.data)
	if err != nil {
		return nil, err
	}
	f.override = &ov
	return f.override, nil
}

// value reads t's image from the file read as kind.
func (f *workFile) value(ctx context.Context, kind string, t target.Target) (Value, bool, error) {
	if kind == FileOverride && manifestKind(t) == target.KindPlugin {
		return readPluginOverride(t, f.data)
	}
	if kind == FileOverride {
		ov, err := f.overrideFile(ctx)
		if err != nil {
			return Value{}, false, err
		}
		return overrideValue(t, *ov)
	}
	d, err := f.parsed(ctx)
	if err != nil {
		return Value{}, false, err
	}
	return docValue(kind, t, d)
}

// setData replaces the content after an edit that did not go through doc.
func (f *workFile) setData(data []byte) {
	if !bytes.Equal(f.data, data) {
		f.data, f.doc, f.override = data, nil, nil
	}
}

// readFile reads a file that may not exist yet, refusing files larger than
// yamledit.MaxFileSize.
func readFile(p string) ([]byte, bool, error) {
	fh, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", filepath.Base(p), err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, yamledit.MaxFileSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", filepath.Base(p), err)
	}
	if len(data) > yamledit.MaxFileSize {
		return nil, false, fmt.Errorf("%w: %s is larger than %d bytes", ErrTarget, filepath.Base(p), yamledit.MaxFileSize)
	}
	return data, true, nil
}
