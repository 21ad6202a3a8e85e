package main

import (
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// writeOutputs writes the image as an OCI layout and/or a tarball.
func writeOutputs(img v1.Image, o options) error {
	ref, err := name.NewTag(o.ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("--ref %q: %w", o.ref, err)
	}
	if o.layout != "" {
		if err := writeLayout(o.layout, ref, img); err != nil {
			return err
		}
	}
	if o.tarball != "" {
		if err := tarball.WriteToFile(o.tarball, ref, img); err != nil {
			return fmt.Errorf("write tarball %s: %w", o.tarball, err)
		}
	}
	return nil
}

// writeLayout replaces dir with a fresh OCI layout holding only img.
func writeLayout(dir string, ref name.Tag, img v1.Image) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear layout %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("create layout %s: %w", dir, err)
	}
	anns := map[string]string{
		"org.opencontainers.image.ref.name": ref.TagStr(),
		"io.containerd.image.name":          ref.Name(),
	}
	if err := p.AppendImage(img, layout.WithAnnotations(anns)); err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	return nil
}

// printSummary prints the manifest digest and the compressed (what a
// registry stores and a node pulls) and uncompressed (the unpacked root
// filesystem tar streams) sizes.
func printSummary(w io.Writer, img v1.Image) error {
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	compressed, uncompressed, err := sizes(img)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "digest=%s\ncompressed_bytes=%d\nuncompressed_bytes=%d\n", digest, compressed, uncompressed)
	return err
}

func sizes(img v1.Image) (compressed, uncompressed int64, err error) {
	manifest, err := img.RawManifest()
	if err != nil {
		return 0, 0, fmt.Errorf("manifest: %w", err)
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return 0, 0, fmt.Errorf("config: %w", err)
	}
	compressed = int64(len(manifest) + len(config))
	layers, err := img.Layers()
	if err != nil {
		return 0, 0, fmt.Errorf("layers: %w", err)
	}
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return 0, 0, fmt.Errorf("layer size: %w", err)
		}
		compressed += n
		u, err := uncompressedSize(l)
		if err != nil {
			return 0, 0, err
		}
		uncompressed += u
	}
	return compressed, uncompressed, nil
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, fmt.Errorf("layer: %w", err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil {
		return 0, fmt.Errorf("layer: %w", err)
	}
	return n, nil
}
