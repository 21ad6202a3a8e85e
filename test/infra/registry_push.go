package infra

import (
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImageSpec describes a test image.
type ImageSpec struct {
	// Created is the config's creation time.
	Created time.Time
	// OS, Architecture, Variant go into the config (default linux/amd64).
	OS, Architecture, Variant string
	// OCI selects OCI media types; otherwise Docker schema 2.
	OCI bool
}

// NewImage builds a small random image as spec says.
func NewImage(t testing.TB, spec ImageSpec) v1.Image {
	t.Helper()
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: spec.Created}
	cfg.OS, cfg.Architecture, cfg.Variant = orDefault(spec.OS, "linux"), orDefault(spec.Architecture, "amd64"), spec.Variant
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	if spec.OCI {
		img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	return img
}

// PushImage writes img under every tag of repo ("host:port/path").
func PushImage(t testing.TB, repo string, img v1.Image, opts []remote.Option, tags ...string) {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	for i, tag := range tags {
		write := remote.Write
		if i > 0 { // blobs are there: only the manifest is needed
			write = func(ref name.Reference, img v1.Image, o ...remote.Option) error {
				return remote.Tag(ref.(name.Tag), img, o...)
			}
		}
		if err := write(r.Tag(tag), img, opts...); err != nil {
			t.Fatalf("push %s:%s: %v", repo, tag, err)
		}
	}
}

// PushTags pushes one image per tag with the given creation times.
func PushTags(t testing.TB, repo string, created map[string]time.Time, oci bool, opts []remote.Option) {
	t.Helper()
	for tag, when := range created {
		PushImage(t, repo, NewImage(t, ImageSpec{Created: when, OCI: oci}), opts, tag)
	}
}

// PushIndex writes a multi-arch index (OCI or Docker manifest list) whose
// children are built from specs (their platform and creation time) and
// returns it.
func PushIndex(t testing.TB, repo, tag string, oci bool, opts []remote.Option, specs ...ImageSpec) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, s := range specs {
		s.OCI = oci
		img := NewImage(t, s)
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{
			OS: orDefault(s.OS, "linux"), Architecture: orDefault(s.Architecture, "amd64"), Variant: s.Variant,
		}}})
	}
	mt := types.DockerManifestList
	if oci {
		mt = types.OCIImageIndex
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt)
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r.Tag(tag), idx, opts...); err != nil {
		t.Fatalf("push index %s:%s: %v", repo, tag, err)
	}
	return idx
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
