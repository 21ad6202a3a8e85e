package yamledit

import (
	"errors"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Doc is a parsed YAML file that several edits share: it is parsed once,
// edits collect byte splices against that parse, and Bytes applies them,
// verifies the result with one more parse and keeps that parse for the
// next edits. The functions SetHelmValue, SetKustomizeImage and their Get
// counterparts are one-edit uses of a Doc. After an edit returns an error
// the Doc must not be used further (its pending edits are undefined).
type Doc struct {
	e *editor
	// err is the first error of an edit; Bytes returns it.
	err error
}

// Parse parses data for editing (errors wrap ErrParse).
func Parse(data []byte) (*Doc, error) {
	e, err := newEditor(data)
	if err != nil {
		return nil, err
	}
	return &Doc{e: e}, nil
}

// HelmValue reads a Helm value like GetHelmValue, seeing the pending edits.
func (d *Doc) HelmValue(key string) (string, bool, error) {
	segs, err := parseKey(key)
	if err != nil {
		return "", false, err
	}
	if err := d.settle(); err != nil {
		return "", false, err
	}
	return helmValue(d.e.docs, key, segs)
}

// SetHelmValue sets a Helm value like the function SetHelmValue; changed
// reports whether the value differs from what the Doc held.
func (d *Doc) SetHelmValue(key, value string) (bool, error) {
	segs, err := parseKey(key)
	if err != nil {
		return false, err
	}
	return d.edit(func(e *editor) error {
		if err := e.setHelmValue(segs, value); err != nil {
			return fmt.Errorf("set %q: %w", key, err)
		}
		return nil
	})
}

// KustomizeImage reads an images: entry like GetKustomizeImage, seeing the
// pending edits.
func (d *Doc) KustomizeImage(name string) (KustomizationImage, bool, error) {
	if err := d.settle(); err != nil {
		return KustomizationImage{}, false, err
	}
	return kustomizeImage(d.e.docs, name)
}

// SetKustomizeImage edits an images: entry like the function
// SetKustomizeImage.
func (d *Doc) SetKustomizeImage(name, newName, newTag, digest string) (bool, error) {
	fields, err := kustomizeFields(name, newName, newTag, digest)
	if err != nil {
		return false, err
	}
	return d.edit(func(e *editor) error {
		if err := e.setKustomizeImage(name, fields); err != nil {
			return fmt.Errorf("kustomization image %q: %w", name, err)
		}
		return nil
	})
}

// Bytes returns the text with every edit applied and verified.
func (d *Doc) Bytes() ([]byte, error) {
	if err := d.flush(); err != nil {
		return nil, err
	}
	return d.e.t.src, nil
}

// edit runs op, first applying pending splices when op would touch text
// whose position they changed. changed compares the Doc's text before and
// after, so it is exact even when op edits a value twice.
func (d *Doc) edit(op func(*editor) error) (bool, error) {
	if d.err != nil {
		return false, d.err
	}
	if err := d.settle(); err != nil {
		return false, err
	}
	n := len(d.e.splices)
	err := op(d.e)
	if errors.Is(err, errNeedsFlush) {
		if err = d.flush(); err == nil {
			n = 0
			err = op(d.e)
		}
	}
	if err != nil {
		d.err = err
		return false, err
	}
	return len(d.e.splices) > n, nil
}

// settle applies pending splices after an insertion: new nodes carry no
// position in the text, so later edits must start from a fresh parse.
func (d *Doc) settle() error {
	if d.e.structural {
		return d.flush()
	}
	return nil
}

// flush applies and verifies the pending splices and re-bases the Doc on
// the result, reusing the verifying parse.
func (d *Doc) flush() error {
	if d.err != nil {
		return d.err
	}
	out, changed, docs, err := d.e.finishDocs()
	if err != nil {
		d.err = err
		return err
	}
	if changed {
		d.e = &editor{t: newText(out), docs: docs, edited: map[*yaml.Node]bool{}}
	} else {
		d.e.splices, d.e.structural, d.e.edited = nil, false, map[*yaml.Node]bool{}
	}
	return nil
}
