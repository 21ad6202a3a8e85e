package writeback

import (
	"fmt"
	"path"

	"github.com/imagepilot/imagepilot/internal/target"
)

// Current reads the version of t's image that the checkout at root deploys:
// from the write-back file when it holds the image, otherwise from the
// source's own manifests (its Helm value files or its kustomization).
// found is false when no file names the image.
func (l Layout) Current(root string, t target.Target) (v Value, from File, found bool, err error) {
	wb, err := l.FileFor(t)
	if err != nil {
		return Value{}, File{}, false, err
	}
	candidates := []File{wb}
	if wb.Kind == FileOverride {
		candidates = append(candidates, baseFiles(t)...)
	}
	for _, f := range candidates {
		v, ok, err := l.readAt(root, f, t)
		if err != nil {
			return Value{}, f, false, err
		}
		if ok {
			return v, f, true, nil
		}
	}
	return Value{}, wb, false, nil
}

// baseFiles are the source's own manifests that may name the image.
func baseFiles(t target.Target) []File {
	if manifestKind(t) == target.KindKustomize {
		return []File{{Kind: FileKustomization, Path: path.Join(t.Source.Path, "kustomization.yaml")}}
	}
	var files []File
	for _, p := range valueFiles(t.Source) {
		files = append(files, File{Kind: FileHelmValues, Path: path.Clean(p)})
	}
	return files
}

func (l Layout) readAt(root string, f File, t target.Target) (Value, bool, error) {
	p, err := locate(root, f)
	if err != nil {
		return Value{}, false, err
	}
	data, exists, err := readFile(p)
	if err != nil || !exists {
		return Value{}, false, err
	}
	v, ok, err := l.read(f.Kind, t, data)
	if err != nil {
		return Value{}, false, fmt.Errorf("%s: %w", f.Path, err)
	}
	return v, ok, nil
}

// ReadValue returns the image value data (the content of f) holds for t.
func ReadValue(f File, t target.Target, data []byte) (Value, bool, error) {
	return read(f.Kind, t, data)
}

// read reads through the Layout's cache when it has one.
func (l Layout) read(kind string, t target.Target, data []byte) (Value, bool, error) {
	if l.Cache != nil {
		return l.Cache.read(kind, t, data)
	}
	return read(kind, t, data)
}
