package writeback

import (
	"context"
	"fmt"

	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// appEdit is one application's pending edits: applied to the run's files
// only when every one of them renders and verifies.
type appEdit struct {
	files     []*workFile
	overrides map[*workFile]*overrideEdit
	docEdits  map[*workFile]bool
}

// overrideEdit collects the entries one application merges into an
// .argocd-source file, so the file is parsed and merged once.
type overrideEdit struct {
	params []yamledit.HelmParam
	images []yamledit.KustomizeImage
	env    []yamledit.EnvVar // plugin applications' plugin.env entries
}

// render returns the override file data with the staged edits merged in.
func (oe *overrideEdit) render(data []byte) ([]byte, error) {
	out := data
	if len(oe.params) > 0 || len(oe.images) > 0 || len(oe.env) == 0 {
		var err error
		if out, _, err = yamledit.MergeSourceOverride(out, oe.params, oe.images); err != nil {
			return nil, err
		}
	}
	if len(oe.env) > 0 {
		var err error
		if out, _, err = yamledit.MergePluginOverride(out, oe.env); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func newAppEdit() *appEdit {
	return &appEdit{overrides: map[*workFile]*overrideEdit{}, docEdits: map[*workFile]bool{}}
}

// add stages setting t's image to v in wf, read as kind.
func (tx *appEdit) add(ctx context.Context, wf *workFile, kind string, t target.Target, v Value) error {
	if tx.overrides[wf] == nil && !tx.docEdits[wf] {
		tx.files = append(tx.files, wf)
	}
	switch kind {
	case FileOverride:
		if tx.docEdits[wf] {
			return fmt.Errorf("%w: %s is used both as an override file and as a values file or kustomization", ErrTarget, wf.rel)
		}
		oe := tx.overrides[wf]
		if oe == nil {
			oe = &overrideEdit{}
			tx.overrides[wf] = oe
		}
		switch manifestKind(t) {
		case target.KindPlugin:
			env := pluginEnvVars(t, v)
			if len(env) == 0 {
				return fmt.Errorf("%w: plugin target names no environment variable (set name, tag or spec)", ErrTarget)
			}
			oe.env = append(oe.env, env...)
		case target.KindKustomize:
			oe.images = append(oe.images, kustomizeImage(t, v))
		default:
			oe.params = append(oe.params, helmParams(t, v)...)
		}
		return nil
	case FileKustomization, FileHelmValues:
		if tx.overrides[wf] != nil {
			return fmt.Errorf("%w: %s is used both as an override file and as a values file or kustomization", ErrTarget, wf.rel)
		}
		d, err := wf.parsed(ctx)
		if err != nil {
			return fmt.Errorf("editing %s: %w", wf.rel, err)
		}
		tx.docEdits[wf] = true
		if err := editDoc(kind, t, d, v); err != nil {
			return fmt.Errorf("editing %s: %w", wf.rel, err)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown file kind %q", ErrTarget, kind)
}

// commit renders every staged file and, when all succeed, makes the
// results the files' content.
func (tx *appEdit) commit(ctx context.Context) error {
	outs := make([][]byte, len(tx.files))
	for i, wf := range tx.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if oe := tx.overrides[wf]; oe != nil {
			outs[i], err = oe.render(wf.data)
		} else {
			outs[i], err = wf.doc.Bytes()
		}
		if err != nil {
			return fmt.Errorf("editing %s: %w", wf.rel, err)
		}
	}
	for i, wf := range tx.files {
		if tx.docEdits[wf] {
			// The Doc is already based on its output.
			if string(wf.data) != string(outs[i]) {
				wf.data, wf.override = outs[i], nil
			}
			continue
		}
		wf.setData(outs[i])
	}
	return nil
}

// discard drops the pending edits: the files keep their content and are
// parsed again when next used.
func (tx *appEdit) discard() {
	for wf := range tx.docEdits {
		wf.doc = nil
	}
}
