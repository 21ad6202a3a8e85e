package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// binaryLayer is a layer holding the file at bin as binaryPath, owned by
// root, mode 0755, with its parent directories, and the empty /dev that
// runtimes mount over (the base comes without device nodes); every time is
// set to mtime.
func binaryLayer(bin string, mtime time.Time) (v1.Layer, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	if len(data) < 4 || string(data[:4]) != "\x7fELF" {
		return nil, fmt.Errorf("binary layer: %s is not an ELF executable", bin)
	}
	var buf bytes.Buffer
	if err := writeBinaryTar(&buf, data, mtime); err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	raw := buf.Bytes()
	layer, err := tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.DefaultCompression),
		tarball.WithCompressedCaching,
	)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	return layer, nil
}

// writeBinaryTar writes the tar stream of the binary layer.
func writeBinaryTar(w io.Writer, data []byte, mtime time.Time) error {
	tw := tar.NewWriter(w)
	dirs := append([]string{"dev"}, parents(path.Dir(binaryPath))...)
	for _, d := range dirs {
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(binaryPath, "/"), Mode: 0o755, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	return tw.Close()
}

// parents lists "usr", "usr/local", "usr/local/bin" for "/usr/local/bin".
func parents(dir string) []string {
	var out []string
	cur := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		cur = path.Join(cur, part)
		out = append(out, cur)
	}
	return out
}
