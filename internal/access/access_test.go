package access

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func mustConf(t *testing.T, yaml string) *registryconf.Config {
	t.Helper()
	conf, err := registryconf.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

func mustSpec(t *testing.T, s string) imagespec.Spec {
	t.Helper()
	spec, err := imagespec.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// countingSecrets is an in-memory SecretGetter keyed by "ns/name" that
// counts its reads.
type countingSecrets struct {
	mu    sync.Mutex
	data  map[string]map[string][]byte
	reads int
}

func (s *countingSecrets) GetSecret(_ context.Context, namespace, name string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	d, ok := s.data[namespace+"/"+name]
	if !ok {
		return nil, errors.New("secret " + namespace + "/" + name + " not found")
	}
	return d, nil
}

func (s *countingSecrets) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func TestResolverRegistryAndRepository(t *testing.T) {
	withDefault := mustConf(t, `registries:
- {name: quay, api_url: https://quay.io, prefix: quay.io, default: true, defaultns: mirror}
- {name: ghcr-team, api_url: https://ghcr.io, prefix: ghcr.io/team}
- {name: plain, api_url: "http://registry.test:5000", prefix: "registry.test:5000"}
- {name: lib, api_url: https://reg.example.com, prefix: reg.example.com, defaultns: lib}
`)
	tests := []struct {
		name     string
		conf     *registryconf.Config
		image    string
		wantReg  string
		wantRepo string
		wantHTTP bool
	}{
		{"no conf: bare name goes to Docker Hub's library", nil, "nginx", "Docker Hub", "index.docker.io/library/nginx", false},
		{"no conf: unknown host is plain https", nil, "ghcr.io/a/b", "ghcr.io", "ghcr.io/a/b", false},
		{"default registry takes hostless names with its namespace", withDefault, "nginx", "quay", "quay.io/mirror/nginx", false},
		{"default registry keeps a two-part path", withDefault, "team/app", "quay", "quay.io/team/app", false},
		{"explicit docker.io is not the default registry", withDefault, "docker.io/library/nginx", "Docker Hub", "index.docker.io/library/nginx", false},
		{"longest prefix with a path", withDefault, "ghcr.io/team/app", "ghcr-team", "ghcr.io/team/app", false},
		{"prefix stops at a path segment", withDefault, "ghcr.io/teamx/app", "ghcr.io", "ghcr.io/teamx/app", false},
		{"http api_url makes the reference plain HTTP", withDefault, "registry.test:5000/a/b", "plain", "registry.test:5000/a/b", true},
		{"host entry's defaultns prefixes a one-part path", withDefault, "reg.example.com/app", "lib", "reg.example.com/lib/app", false},
		{"host entry's defaultns leaves a two-part path", withDefault, "reg.example.com/x/app", "lib", "reg.example.com/x/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewResolver(tt.conf, nil)
			if r.Config() == nil {
				t.Fatal("Config() is nil")
			}
			img := mustSpec(t, tt.image)
			if got := r.Registry(img).Name; got != tt.wantReg {
				t.Errorf("Registry = %q, want %q", got, tt.wantReg)
			}
			repo, err := r.Repository(img)
			if err != nil {
				t.Fatal(err)
			}
			if repo.Name() != tt.wantRepo {
				t.Errorf("Repository = %q, want %q", repo.Name(), tt.wantRepo)
			}
			if got := repo.Scheme() == "http"; got != tt.wantHTTP {
				t.Errorf("scheme %s, want plain HTTP %v", repo.Scheme(), tt.wantHTTP)
			}
		})
	}
}

func TestResolverRepositoryRejectsInvalidName(t *testing.T) {
	img := imagespec.Spec{Name: "reg.example.com/Bad", Registry: "reg.example.com", Repository: "Bad"}
	_, err := NewResolver(nil, nil).Repository(img)
	if err == nil || !strings.Contains(err.Error(), "image reg.example.com/Bad") {
		t.Fatalf("err = %v, want an error naming the image", err)
	}
}

// dockerConfig writes a Docker config.json with auths and points
// DOCKER_CONFIG at it.
func dockerConfig(t *testing.T, content string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func TestResolverAuthChoosesCredentials(t *testing.T) {
	t.Setenv("AT_PULL", "puller:pull-pass")
	t.Setenv("AT_REG", "reguser:reg-pass")
	conf := mustConf(t, `registries:
- {name: reg, api_url: https://reg.example.com, prefix: reg.example.com, credentials: "env:AT_REG"}
- {name: broken, api_url: https://broken.example.com, prefix: broken.example.com, credentials: "env:AT_UNSET_VAR"}
- {name: k8s, api_url: https://k8s.example.com, prefix: k8s.example.com, credentials: "secret:ns/creds#auth"}
`)
	secrets := &countingSecrets{data: map[string]map[string][]byte{"ns/creds": {"auth": []byte("k8suser:k8s-pass")}}}
	tests := []struct {
		name       string
		secrets    credentials.SecretGetter
		docker     string
		image      string
		pullSecret string
		want       authn.AuthConfig
		wantErr    string
	}{
		{name: "pull secret wins over the registry's credentials", image: "reg.example.com/app", pullSecret: "env:AT_PULL",
			want: authn.AuthConfig{Username: "puller", Password: "pull-pass"}},
		{name: "registry credentials without a pull secret", image: "reg.example.com/app",
			want: authn.AuthConfig{Username: "reguser", Password: "reg-pass"}},
		{name: "registry credentials from a Kubernetes secret", secrets: secrets, image: "k8s.example.com/app",
			want: authn.AuthConfig{Username: "k8suser", Password: "k8s-pass"}},
		{name: "docker config for a registry without credentials", image: "other.example.com/app",
			docker: `{"auths":{"other.example.com":{"auth":"` + basicAuth("dock", "dock-pass") + `"}}}`,
			want:   authn.AuthConfig{Username: "dock", Password: "dock-pass"}},
		{name: "anonymous when the docker config has nothing", image: "other.example.com/app",
			docker: `{"auths":{}}`, want: authn.AuthConfig{}},
		{name: "malformed docker config is an error, not anonymous", image: "other.example.com/app",
			docker: `{"auths":`, wantErr: "docker config credentials for other.example.com"},
		{name: "unset variable names the image", image: "broken.example.com/app",
			wantErr: "credentials for broken.example.com/app"},
		{name: "Kubernetes secret without a getter", image: "k8s.example.com/app",
			wantErr: "not available here"},
		{name: "plain user:password is refused as a pull secret, unquoted", image: "reg.example.com/app",
			pullSecret: "someone:plain-pass", wantErr: "invalid credential reference"},
		{name: "a failing pull secret does not fall back to the registry's", image: "reg.example.com/app",
			pullSecret: "env:AT_UNSET_PULL", wantErr: "AT_UNSET_PULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docker := tt.docker
			if docker == "" {
				docker = `{}`
			}
			dockerConfig(t, docker)
			r := NewResolver(conf, tt.secrets)
			auth, err := r.Auth(context.Background(), mustSpec(t, tt.image), tt.pullSecret)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				for _, secret := range []string{"pull-pass", "reg-pass", "k8s-pass", "plain-pass"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error reveals a password: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := auth.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			if got.Username != tt.want.Username || got.Password != tt.want.Password {
				t.Errorf("credentials %s:%s, want %s:%s", got.Username, got.Password, tt.want.Username, tt.want.Password)
			}
		})
	}
}

func TestResolverSharesOneSourcePerReferenceAndRegistry(t *testing.T) {
	conf := mustConf(t, `registries:
- {name: a, api_url: https://a.example.com, prefix: a.example.com, credentials: "secret:ns/creds#auth"}
- {name: b, api_url: https://b.example.com, prefix: b.example.com, credentials: "secret:ns/creds#auth"}
`)
	secrets := &countingSecrets{data: map[string]map[string][]byte{"ns/creds": {"auth": []byte("u:p")}}}
	r := NewResolver(conf, secrets)
	ctx := context.Background()
	for _, img := range []string{"a.example.com/one", "a.example.com/two", "a.example.com/one"} {
		if _, err := r.Auth(ctx, mustSpec(t, img), ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := secrets.count(); n != 1 {
		t.Fatalf("%d secret reads for three images of one registry, want 1", n)
	}
	if _, err := r.Auth(ctx, mustSpec(t, "b.example.com/one"), ""); err != nil {
		t.Fatal(err)
	}
	if n := secrets.count(); n != 2 {
		t.Fatalf("%d secret reads after another registry with the same reference, want 2 (one login per registry)", n)
	}
}

// passwordOf resolves an image's credentials and returns the password.
func passwordOf(t *testing.T, r *Resolver, image, pullSecret string) string {
	t.Helper()
	auth, err := r.Auth(context.Background(), mustSpec(t, image), pullSecret)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := auth.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Password
}

func TestResolverRefreshesAfterCredsExpire(t *testing.T) {
	t.Setenv("AT_ROTATING", "user:first")
	conf := mustConf(t, `registries:
- {name: r, api_url: https://r.example.com, prefix: r.example.com, credentials: "env:AT_ROTATING", credsexpire: 10m}
`)
	r := NewResolver(conf, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	password := func() string { return passwordOf(t, r, "r.example.com/app", "") }
	if got := password(); got != "first" {
		t.Fatalf("password %q, want first", got)
	}
	t.Setenv("AT_ROTATING", "user:second")
	now = now.Add(9 * time.Minute)
	if got := password(); got != "first" {
		t.Fatalf("within credsexpire: password %q, want the cached first", got)
	}
	now = now.Add(2 * time.Minute)
	if got := password(); got != "second" {
		t.Fatalf("after credsexpire: password %q, want second", got)
	}
}

// A pull secret is read again after PullSecretTTL: a rotated Secret takes
// effect in a long-running controller; within the TTL it is read once.
func TestResolverRereadsPullSecrets(t *testing.T) {
	secrets := &countingSecrets{data: map[string]map[string][]byte{"ns/pull": {"auth": []byte("user:first")}}}
	r := NewResolver(mustConf(t, "registries: []\n"), secrets)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	password := func() string { return passwordOf(t, r, "r.example.com/app", "secret:ns/pull#auth") }
	if got := password(); got != "first" {
		t.Fatalf("password %q, want first", got)
	}
	secrets.mu.Lock()
	secrets.data["ns/pull"]["auth"] = []byte("user:second")
	secrets.mu.Unlock()
	now = now.Add(PullSecretTTL / 2)
	if got := password(); got != "first" || secrets.count() != 1 {
		t.Fatalf("within the TTL: password %q after %d reads, want the cached first after 1", got, secrets.count())
	}
	now = now.Add(PullSecretTTL)
	if got := password(); got != "second" || secrets.count() != 2 {
		t.Fatalf("after the TTL: password %q after %d reads, want the rotated second after 2", got, secrets.count())
	}
}

// testRegistry is go-containerregistry's registry demanding basic auth
// user:pass, counting tag listings.
type testRegistry struct {
	srv      *httptest.Server
	host     string
	mu       sync.Mutex
	listings int
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			tr.mu.Lock()
			tr.listings++
			tr.mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

func TestViewTagsAndMetadata(t *testing.T) {
	reg := newTestRegistry(t)
	img, err := random.Image(32, 1)
	if err != nil {
		t.Fatal(err)
	}
	repo := mustSpec(t, reg.host+"/team/app")
	ref, err := NewResolver(nil, nil).Repository(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"1.0", "1.1"} {
		if err := remote.Write(ref.Tag(tag), img, remote.WithAuth(&authn.Basic{Username: "user", Password: "pass"})); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := img.Digest()
	t.Setenv("AT_GOOD", "user:pass")
	t.Setenv("AT_WRONG", "user:wrong")
	dockerConfig(t, `{}`)
	conf := mustConf(t, "registries:\n- {name: test, api_url: \"http://"+reg.host+"\", prefix: \""+reg.host+"\", credentials: \"env:AT_GOOD\"}\n")
	client, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	view := NewView(NewResolver(conf, nil), client.NewCycle())

	for range 3 {
		tags, err := view.Tags(ctx, repo, "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(tags, ",") != "1.0,1.1" {
			t.Fatalf("tags %v", tags)
		}
	}
	if reg.listings != 1 {
		t.Errorf("%d tag listings for three asks in one cycle, want 1", reg.listings)
	}
	md, err := view.Metadata(ctx, repo, "")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := md.Digest(ctx, "1.1"); err != nil || d != want.String() {
		t.Fatalf("Digest = %q, %v; want %s", d, err, want)
	}

	// The pull secret's wrong password is used, not the registry's good one.
	if _, err := view.Tags(ctx, repo, "env:AT_WRONG"); !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("wrong pull secret: err = %v, want ErrUnauthorized", err)
	}
	// Credential failures stop before any request.
	before := reg.listings
	if _, err := view.Tags(ctx, repo, "env:AT_NOT_SET"); err == nil || !strings.Contains(err.Error(), "AT_NOT_SET") {
		t.Fatalf("unset pull secret: err = %v", err)
	}
	if _, err := view.Metadata(ctx, repo, "env:AT_NOT_SET"); err == nil {
		t.Fatal("Metadata with an unusable pull secret succeeded")
	}
	bad := imagespec.Spec{Name: reg.host + "/Bad", Registry: reg.host, Repository: "Bad"}
	if _, err := view.Tags(ctx, bad, ""); err == nil {
		t.Fatal("Tags of an invalid repository name succeeded")
	}
	if _, err := view.Metadata(ctx, bad, ""); err == nil {
		t.Fatal("Metadata of an invalid repository name succeeded")
	}
	if reg.listings != before {
		t.Errorf("failed credentials still listed tags")
	}
}

// Expect resolves each image's credentials once for the cycle: the
// planner's questions reuse them (here the Docker config changes after
// Expect and the cycle still lists with what it resolved); a resolution
// that failed is tried again when the image is asked about.
func TestViewReusesExpectedCredentials(t *testing.T) {
	reg := newTestRegistry(t)
	img, err := random.Image(32, 1)
	if err != nil {
		t.Fatal(err)
	}
	spec := mustSpec(t, reg.host+"/team/app")
	ref, err := NewResolver(nil, nil).Repository(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref.Tag("1.0"), img, remote.WithAuth(&authn.Basic{Username: "user", Password: "pass"})); err != nil {
		t.Fatal(err)
	}
	client, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := `{"auths":{"` + reg.host + `":{"auth":"` + basicAuth("user", "pass") + `"}}}`

	dockerConfig(t, good)
	view := NewView(NewResolver(nil, nil), client.NewCycle())
	view.Expect(ctx, []updater.ExpectedImage{{Image: spec}})
	dockerConfig(t, `{"auths":{"`+reg.host+`":{"auth":"`+basicAuth("user", "wrong")+`"}}}`)
	if _, err := view.Tags(ctx, spec, ""); err != nil {
		t.Fatalf("the cycle did not keep the credentials it resolved: %v", err)
	}

	dockerConfig(t, `{"auths":`) // malformed: Expect cannot resolve
	view = NewView(NewResolver(nil, nil), client.NewCycle())
	view.Expect(ctx, []updater.ExpectedImage{{Image: spec}})
	dockerConfig(t, good)
	if _, err := view.Tags(ctx, spec, ""); err != nil {
		t.Fatalf("a failed resolution was kept: %v", err)
	}
}
