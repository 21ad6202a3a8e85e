package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestParseFlagsRejects(t *testing.T) {
	dir := t.TempDir()
	good := []string{"--base", "b.tar", "--binary", "imagepilot", "--version", "v1.2.3", "--revision", "abc", "--ref", "example.com/ip:v1.2.3", "--layout", dir}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"dev version", replace(good, "v1.2.3", "dev"), `"dev" is not a release version`},
		{"no version", replace(good, "v1.2.3", ""), "--version is required"},
		{"no output", good[:len(good)-2], "nothing to write"},
		{"root user", append(good, "--user", "0:0"), "must not run as root"},
		{"named user", append(good, "--user", "nonroot"), "want numeric uid:gid"},
		{"named group", append(good, "--user", "65532:nonroot"), "want numeric uid:gid"},
		{"bad created", append(good, "--created", "yesterday"), "want Unix seconds"},
		{"extra args", append(good, "stray"), "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := parseFlags(good); err != nil {
		t.Fatalf("good flags: %v", err)
	}
}

// replace returns args with every old replaced by new.
func replace(args []string, old, new string) []string {
	out := append([]string{}, args...)
	for i, a := range out {
		if a == old {
			out[i] = new
		}
	}
	return out
}

func TestRunWritesLayoutAndTarball(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "base.tar", tarOf(t, map[string]string{"etc/os-release": "ID=debian\n"}))
	bin := writeFile(t, dir, "imagepilot", []byte("\x7fELF fake binary"))
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"--base", base, "--binary", bin, "--version", "v1.2.3", "--revision", "0123abcd",
		"--created", "1700000000", "--ref", "example.com/imagepilot:v1.2.3",
		"--layout", filepath.Join(dir, "oci"), "--tar", filepath.Join(dir, "image.tar")}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	img := layoutImage(t, filepath.Join(dir, "oci"))
	checkConfig(t, img)
	files := extract(t, img)
	if files["usr/local/bin/imagepilot"] != "\x7fELF fake binary" || files["etc/os-release"] != "ID=debian\n" {
		t.Fatalf("files %q", files)
	}
	tag, _ := name.NewTag("example.com/imagepilot:v1.2.3")
	fromTar, err := tarball.ImageFromPath(filepath.Join(dir, "image.tar"), &tag)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustConfigName(t, img), mustConfigName(t, fromTar); a != b {
		t.Errorf("layout config %s and tarball config %s differ", a, b)
	}
	if !strings.Contains(stdout.String(), "digest=sha256:") || !strings.Contains(stdout.String(), "uncompressed_bytes=") {
		t.Errorf("summary %q", stdout.String())
	}
}

func checkConfig(t *testing.T, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || c.Entrypoint[0] != binaryPath || c.WorkingDir != "/home/imagepilot" || !cf.Created.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("config %+v created %s", c, cf.Created)
	}
	if c.Labels["org.opencontainers.image.version"] != "v1.2.3" || c.Labels["org.opencontainers.image.revision"] != "0123abcd" {
		t.Errorf("labels %v", c.Labels)
	}
}

func layoutImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 || m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v1.2.3" {
		t.Fatalf("index %+v %v", m, err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// extract reads the flattened file system: regular file contents by path,
// and modes checked for the binary.
func extract(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == "usr/local/bin/imagepilot" && (hdr.Mode != 0o755 || hdr.Uid != 0) {
			t.Errorf("binary mode %o uid %d", hdr.Mode, hdr.Uid)
		}
		if hdr.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			files[hdr.Name] = string(data)
		}
	}
}

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustConfigName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestBinaryLayerRejectsNonELF(t *testing.T) {
	bin := writeFile(t, t.TempDir(), "script", []byte("#!/bin/sh\n"))
	if _, err := binaryLayer(bin, time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Fatalf("err %v", err)
	}
}
