package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxReferrersBody bounds a referrers API answer.
const maxReferrersBody = 1 << 20

// ReferrerSet is what the OCI referrers API lists for an image: the
// sigstore bundle artifacts whose subject it is.
type ReferrerSet struct {
	// ID identifies the answer (a digest of the listed descriptors), so
	// that a verdict on it can be cached until the referrers change.
	ID string
	// Bundles are the descriptors of the sigstore bundle manifests.
	Bundles []v1.Descriptor
}

// referrersAnswer is one referrers API answer.
type referrersAnswer struct {
	set       ReferrerSet
	supported bool
}

// ReferrersAPI asks the registry's OCI referrers API (GET
// /v2/<name>/referrers/<digest>) for the sigstore bundles attached to the
// image at imageDigest, which is where cosign stores them on registries
// that have the API (it writes no sha256-<hex> tag there). supported is
// false when the registry has no referrers API: it answered 404, which
// the OCI distribution specification forbids registries that have it to
// answer; that is remembered for the process, so such a registry is asked
// once. The answer is memoised for the cycle.
func (m *repoMetadata) ReferrersAPI(ctx context.Context, imageDigest string) (set ReferrerSet, supported bool, err error) {
	if _, err := v1.NewHash(imageDigest); err != nil {
		return ReferrerSet{}, false, &Error{Op: "list referrers of " + m.repo.Name(), Kind: ErrTransport, Err: fmt.Errorf("bad digest %q", imageDigest)}
	}
	c := m.cycle.client
	if c.lacksReferrers(m.repo.RegistryStr()) {
		return ReferrerSet{}, false, nil
	}
	host, err := m.cycle.down.check(c, m.repo)
	if err != nil {
		return ReferrerSet{}, false, err
	}
	t, err := m.cycle.target(ctx, m.repo, m.auth)
	if err != nil {
		m.cycle.down.note(host, err)
		return ReferrerSet{}, false, err
	}
	a, err := m.cycle.referrers.do(ctx, t.key+"|"+imageDigest, func(ctx context.Context) (referrersAnswer, error) {
		return bounded(ctx, c, func(ctx context.Context) (referrersAnswer, error) {
			set, supported, err := c.listReferrers(ctx, t, imageDigest)
			return referrersAnswer{set, supported}, err
		})
	})
	m.cycle.down.note(host, err)
	if err != nil {
		return ReferrerSet{}, false, wrapErr("list referrers of "+m.repo.Name()+"@"+imageDigest, err)
	}
	if !a.supported {
		c.noReferrers.Store(m.repo.RegistryStr(), true)
	}
	return a.set, a.supported, nil
}

// ReferrerBundles reads the sigstore bundles of set whose subject is
// imageDigest (each bundle at most 256 KiB).
func (m *repoMetadata) ReferrerBundles(ctx context.Context, set ReferrerSet, imageDigest string) ([][]byte, error) {
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return nil, err
	}
	out, err := bounded(ctx, m.cycle.client, func(ctx context.Context) ([][]byte, error) {
		t, err := m.cycle.target(ctx, m.repo, m.auth)
		if err != nil {
			return nil, err
		}
		ropts := []remote.Option{remote.WithTransport(t.transport), remote.WithContext(ctx)}
		return bundlesOf(set.Bundles, imageDigest, func(h v1.Hash) (v1.Image, error) {
			return remote.Image(t.repo.Digest(h.String()), ropts...)
		})
	})
	m.cycle.down.note(host, err)
	if err != nil {
		return nil, wrapErr("read referrers of "+m.repo.Name()+"@"+imageDigest, err)
	}
	return out, nil
}

// listReferrers makes the referrers API request.
func (c *Client) listReferrers(ctx context.Context, t *target, imageDigest string) (ReferrerSet, bool, error) {
	u := t.repo.Scheme() + "://" + t.repo.RegistryStr() + "/v2/" + t.repo.RepositoryStr() + "/referrers/" + imageDigest +
		"?artifactType=" + url.QueryEscape(BundleMediaTypeV03)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return ReferrerSet{}, false, err
	}
	req.Header.Set("Accept", string(types.OCIImageIndex))
	resp, err := (&http.Client{Transport: t.transport}).Do(req)
	if err != nil {
		return ReferrerSet{}, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReferrersBody))
		return ReferrerSet{}, false, nil
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return ReferrerSet{}, true, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReferrersBody+1))
	if err != nil {
		return ReferrerSet{}, true, err
	}
	set, err := parseReferrers(body)
	return set, true, err
}

// parseReferrers reads a referrers API answer (an OCI image index) and
// keeps the sigstore bundle artifacts; registries may ignore the
// artifactType filter, so it is applied here too.
func parseReferrers(body []byte) (ReferrerSet, error) {
	if len(body) > maxReferrersBody {
		return ReferrerSet{}, fmt.Errorf("referrers answer larger than %d bytes", maxReferrersBody)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(body, &idx); err != nil {
		return ReferrerSet{}, fmt.Errorf("referrers answer: %w", err)
	}
	if idx.SchemaVersion != 2 || (idx.MediaType != "" && idx.MediaType != types.OCIImageIndex) {
		return ReferrerSet{}, fmt.Errorf("referrers answer: not an OCI image index (schemaVersion %d, mediaType %q)", idx.SchemaVersion, idx.MediaType)
	}
	var set ReferrerSet
	h := sha256.New()
	for _, d := range idx.Manifests {
		if !maybeBundle(d) {
			continue
		}
		set.Bundles = append(set.Bundles, d)
		h.Write([]byte(d.Digest.String() + "\n"))
	}
	if len(set.Bundles) > maxReferrers {
		return ReferrerSet{}, fmt.Errorf("%d signature bundles, more than %d", len(set.Bundles), maxReferrers)
	}
	set.ID = "referrers:" + hex.EncodeToString(h.Sum(nil)[:12])
	return set, nil
}

// maybeBundle reports whether a listed referrer may be a sigstore bundle:
// its artifactType says so, or it is an OCI manifest whose artifactType
// the registry took from the empty config (go-containerregistry's registry
// does). Its manifest is then read and checked (subject, bundle layer).
func maybeBundle(d v1.Descriptor) bool {
	if strings.HasPrefix(d.ArtifactType, bundleMediaPrefix) {
		return true
	}
	return d.MediaType == types.OCIManifestSchema1 && (d.ArtifactType == "" || d.ArtifactType == emptyConfigMediaType)
}

// emptyConfigMediaType is the OCI empty descriptor's media type, the
// config of artifacts such as sigstore bundles.
const emptyConfigMediaType = "application/vnd.oci.empty.v1+json"

// lacksReferrers reports whether host answered that it has no referrers
// API.
func (c *Client) lacksReferrers(host string) bool {
	_, ok := c.noReferrers.Load(host)
	return ok
}
