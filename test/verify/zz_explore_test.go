package verify

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

func TestZZExplore(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a := generateKey(t, dir, "a")
	img := reg.Repo("team/x")
	d := seed(t, reg, "team/x", "1.0.0")
	out := cosign(t, dir, "sign", "--key", a.priv, "--tlog-upload=false", "--yes", "--allow-insecure-registry", "--allow-http-registry",
		"--new-bundle-format=true", "--use-signing-config=false", img+"@"+d["1.0.0"])
	t.Log(out)
	get := func(path, accept string) string {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", reg.Direct+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Content-Type") + "\n" + string(b)
	}
	t.Log(get("/v2/team/x/tags/list", ""))
	t.Log(get("/v2/team/x/referrers/"+d["1.0.0"], ""))
	acc := "application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json"
	idx := get("/v2/team/x/manifests/sha256-"+d["1.0.0"][7:], acc)
	t.Log(idx)
	i := strings.Index(idx, `"digest":"`)
	md := idx[i+10 : i+10+71]
	m := get("/v2/team/x/manifests/"+md, acc)
	t.Log(m)
	for _, part := range strings.Split(m, `"digest":"`)[1:] {
		dg := part[:71]
		t.Log(dg, get("/v2/team/x/blobs/"+dg, ""))
	}
}
