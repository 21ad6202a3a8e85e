package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/verify/verifytest"
	"github.com/imagepilot/imagepilot/test/infra"
)

const (
	keylessIssuer  = "https://token.actions.example.com"
	keylessSubject = "https://git.example.com/team/app/.github/workflows/release.yml@refs/heads/main"
)

// attachBundle stores a sigstore bundle for the image at digest as cosign
// does on a registry without the referrers API (the Debian docker-registry
// is one): an OCI artifact whose subject is the image, listed in the
// referrers tag sha256-<hex>.
func attachBundle(t *testing.T, reg *infra.Registry, repo, digest string, bundle []byte) {
	t.Helper()
	ctx := context.Background()
	r, err := name.NewRepository(reg.Repo(repo))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := remote.Head(r.Digest(digest), reg.RemoteOptions(ctx)...)
	if err != nil {
		t.Fatal(err)
	}
	art := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), "application/vnd.oci.empty.v1+json")
	art, err = mutate.Append(art, mutate.Addendum{Layer: static.NewLayer(bundle, registry.BundleMediaTypeV03)})
	if err != nil {
		t.Fatal(err)
	}
	art = mutate.Subject(art, v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}).(v1.Image)
	d, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r.Digest(d.String()), art, reg.RemoteOptions(ctx)...); err != nil {
		t.Fatal(err)
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, mutate.IndexAddendum{
		Add: art, Descriptor: v1.Descriptor{ArtifactType: registry.BundleMediaTypeV03},
	}), types.OCIImageIndex)
	if err := remote.WriteIndex(r.Tag(registry.ReferrersTag(digest)), idx, reg.RemoteOptions(ctx)...); err != nil {
		t.Fatal(err)
	}
}

// TestKeylessAgainstThePrivateSigstore verifies keyless signatures made by
// a private sigstore (sigstore-go's virtual Fulcio, Rekor and TSA) and
// stored in the real docker-registry: the newest tag signed by the expected
// workflow wins over a newer one signed by another identity and a newer
// one signed by a sigstore the trusted root does not name.
func TestKeylessAgainstThePrivateSigstore(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	conf := plainConf(t, reg)
	img := reg.Repo("team/app")
	d := seed(t, reg, "team/app", "1.0.0", "1.1.0", "1.2.0", "2.0.0")
	ours, stranger := verifytest.NewSigstore(t), verifytest.NewSigstore(t)
	attachBundle(t, reg, "team/app", d["1.1.0"], ours.Bundle(t, keylessSubject, keylessIssuer, d["1.1.0"], verifytest.CosignSignPredicate))
	attachBundle(t, reg, "team/app", d["1.2.0"], ours.Bundle(t, "mallory@example.com", keylessIssuer, d["1.2.0"], verifytest.CosignSignPredicate))
	attachBundle(t, reg, "team/app", d["2.0.0"], stranger.Bundle(t, keylessSubject, keylessIssuer, d["2.0.0"], verifytest.CosignSignPredicate))
	rootFile := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(rootFile, ours.TrustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--cosign-identity", keylessSubject, "--cosign-issuer", keylessIssuer, "--trusted-root", rootFile}
	code, res, stderr := check(t, conf, img, args...)
	if code != 0 || res.Tag != "1.1.0" || res.Digest != d["1.1.0"] {
		t.Fatalf("exit %d %+v\n%s", code, res, stderr)
	}
	for tag, want := range map[string]string{
		"2.0.0": "not trusted by the trusted root",
		"1.2.0": "certificate identity mismatch",
	} {
		if v := verdict(t, res, tag); v.Eligible || !strings.Contains(v.Signature, want) {
			t.Errorf("%s: %+v, want not eligible: %s", tag, v, want)
		}
	}

	// A regexp identity that names the whole team's workflows accepts the
	// same signer; a trusted root that does not parse is a configuration
	// error (exit 2), never "unsigned".
	code, res, stderr = check(t, conf, img, "--cosign-identity-regexp", `^https://git\.example\.com/team/`, "--cosign-issuer", keylessIssuer, "--trusted-root", rootFile)
	if code != 0 || res.Tag != "1.1.0" {
		t.Fatalf("regexp identity: exit %d %+v\n%s", code, res, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := check(t, conf, img, "--cosign-identity", keylessSubject, "--cosign-issuer", keylessIssuer, "--trusted-root", bad); code != 2 || !strings.Contains(stderr, "trusted") {
		t.Fatalf("unparsable trusted root: exit %d\n%s", code, stderr)
	}
}
