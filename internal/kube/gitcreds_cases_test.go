package kube

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
)

func TestRepoHost(t *testing.T) {
	tests := []struct {
		name, url string
		wantHost  string
		wantSSH   bool
	}{
		{name: "https drops the port (CAs are keyed by server name)", url: "https://Git.Example:8443/team/app.git", wantHost: "git.example"},
		{name: "http", url: "http://git.example/x", wantHost: "git.example"},
		{name: "ssh URL", url: "ssh://git@Git.Example:2222/team/app.git", wantHost: "git.example", wantSSH: true},
		{name: "scp-like", url: "git@GitHub.com:team/app.git", wantHost: "github.com", wantSSH: true},
		{name: "scp-like with @ in the user", url: "a@b@host.example:x", wantHost: "host.example", wantSSH: true},
		{name: "scp-like without a user is not recognised", url: "host.example:team/app.git"},
		{name: "a local path", url: "/srv/git/app.git"},
		{name: "a relative path with a colon after a slash", url: "dir/git@x:y"},
		{name: "scp-like with an empty host", url: "git@:x"},
		{name: "a URL that does not parse", url: "https://[::1/x"},
		{name: "file URL has no host", url: "file:///srv/git/app.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, ssh := repoHost(tt.url)
			if host != tt.wantHost || ssh != tt.wantSSH {
				t.Fatalf("repoHost(%q) = %q, %v; want %q, %v", tt.url, host, ssh, tt.wantHost, tt.wantSSH)
			}
		})
	}
}

func TestNormalizeRepoURL(t *testing.T) {
	tests := []struct{ a, b string }{
		{a: "https://git.example/team/app.git", b: "HTTPS://Git.Example/team/app"},
		{a: "https://git.example/team/app/", b: " https://git.example/team/app "},
		{a: "git@git.example:team/app.git", b: "git@git.example:team/app"},
	}
	for _, tt := range tests {
		if normalizeRepoURL(tt.a) != normalizeRepoURL(tt.b) {
			t.Errorf("%q and %q differ: %q vs %q", tt.a, tt.b, normalizeRepoURL(tt.a), normalizeRepoURL(tt.b))
		}
	}
	if normalizeRepoURL("https://git.example/team/app") == normalizeRepoURL("https://git.example/team/app2") {
		t.Error("different repositories compare equal")
	}
}

func TestCredentialsFromInsecure(t *testing.T) {
	for value, want := range map[string]bool{"true": true, " TRUE\n": true, "True": true, "false": false, "yes": false, "1": false, "": false} {
		c := credentialsFrom(map[string][]byte{fieldInsecure: []byte(value)})
		if c.InsecureSkipTLSVerify != want || c.InsecureIgnoreHostKey != want {
			t.Errorf("insecure %q: skip TLS %v, ignore host key %v; want %v", value, c.InsecureSkipTLSVerify, c.InsecureIgnoreHostKey, want)
		}
	}
}

// TestGitCredentialsSelection covers which secret wins, and trust data.
func TestGitCredentialsSelection(t *testing.T) {
	r := fakeReader(t,
		secret("argocd", "exact", SecretTypeRepository, map[string]string{"url": "https://git.example/team/app", "username": "exact"}),
		secret("argocd", "longer-template", SecretTypeRepoCreds, map[string]string{"url": "https://git.example/team/app", "username": "template"}),
		secret("argocd", "empty-url", SecretTypeRepoCreds, map[string]string{"username": "no-url"}),
		secret("argocd", "case", SecretTypeRepoCreds, map[string]string{"url": "https://CASE.example/", "username": "case"}),
		secret("argocd", "slash", SecretTypeRepoCreds, map[string]string{"url": "https://slash.example/team/", "username": "team"}),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: TLSCertsConfigMap}, Data: map[string]string{"git.example": "CA"}},
	)
	g := &GitCredentials{Reader: r, Namespace: "argocd"}
	tests := []struct {
		name, url    string
		wantUser     string
		wantCA       string
		wantNoKnownH bool
	}{
		{name: "a repository secret beats an equally long template", url: "https://git.example/team/app.git", wantUser: "exact", wantCA: "CA"},
		{name: "a template matches by prefix, with the host's CA", url: "https://git.example/team/app-two", wantUser: "template", wantCA: "CA"},
		{name: "a template with no url matches nothing", url: "https://none.example/x", wantUser: ""},
		{name: "template prefixes ignore case, as Argo CD's", url: "https://case.example/x", wantUser: "case"},
		{name: "no CA for a host not in the ConfigMap", url: "https://CASE.example/x.git", wantUser: "case"},
		{name: "a template's trailing slash is kept: team/ is no prefix of teamster", url: "https://slash.example/teamster/x", wantUser: ""},
		{name: "a template with a trailing slash matches below it", url: "https://slash.example/team/x", wantUser: "team"},
		{name: "ssh without a known-hosts ConfigMap", url: "git@git.example:team/app.git", wantUser: "", wantNoKnownH: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := g.GitCredentials(context.Background(), tt.url, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.Username != tt.wantUser || string(c.CAData) != tt.wantCA {
				t.Fatalf("user %q CA %q; want %q, %q", c.Username, c.CAData, tt.wantUser, tt.wantCA)
			}
			if tt.wantNoKnownH && c.KnownHosts != nil {
				t.Fatalf("known hosts %q without a ConfigMap", c.KnownHosts)
			}
		})
	}
}

// TestGitCredentialsErrors shows failures reading the API stop with an
// error naming what was read; nothing falls back to anonymous.
func TestGitCredentialsErrors(t *testing.T) {
	boom := errors.New("apiserver unavailable")
	tests := []struct {
		name     string
		funcs    interceptor.Funcs
		url, ref string
		wantErr  string
		notFound bool
	}{
		{
			name:  "listing repository secrets fails",
			funcs: interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error { return boom }},
			url:   "https://git.example/x", wantErr: "listing repository secrets in argocd",
		},
		{
			name: "listing credential templates fails",
			funcs: interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, opts ...client.ListOption) error {
				lo := (&client.ListOptions{}).ApplyOptions(opts)
				if lo.LabelSelector != nil && strings.Contains(lo.LabelSelector.String(), SecretTypeRepoCreds) {
					return boom
				}
				return c.List(ctx, l, opts...)
			}},
			url: "https://git.example/x", ref: "repocreds", wantErr: "listing repo-creds secrets in argocd",
		},
		{
			name: "reading the TLS ConfigMap fails",
			funcs: interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				if key.Name == TLSCertsConfigMap {
					return boom
				}
				return c.Get(ctx, key, obj, opts...)
			}},
			url: "https://git.example/x", wantErr: "reading configmap argocd/" + TLSCertsConfigMap,
		},
		{
			name: "reading the known-hosts ConfigMap fails",
			funcs: interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				if key.Name == KnownHostsConfigMap {
					return boom
				}
				return c.Get(ctx, key, obj, opts...)
			}},
			url: "git@git.example:x", wantErr: "reading configmap argocd/" + KnownHostsConfigMap,
		},
		{name: "a missing named secret", url: "https://git.example/x", ref: "secret:ops/absent", wantErr: "git credentials: reading secret ops/absent", notFound: true},
		{name: "a named secret with an empty namespace", url: "https://git.example/x", ref: "secret:/name", wantErr: `"/name": want [namespace/]name`},
		{name: "a named secret with no name", url: "https://git.example/x", ref: "secret:", wantErr: `secret "": want`},
		{name: "an unknown reference kind", url: "https://git.example/x", ref: "pullsecret:x", wantErr: `"pullsecret:x": want repocreds or secret:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := clientgoscheme.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			r := fake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(tt.funcs).Build()
			_, err := (&GitCredentials{Reader: r, Namespace: "argocd"}).GitCredentials(context.Background(), tt.url, tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if tt.notFound != apierrors.IsNotFound(err) {
				t.Fatalf("IsNotFound(%v) = %v", err, !tt.notFound)
			}
			if !tt.notFound && tt.ref == "" && !errors.Is(err, boom) {
				t.Fatalf("error %v does not wrap the API error", err)
			}
		})
	}
}

// TestGitCredentialsRedactsURL shows a URL carrying credentials is redacted
// in the error about a broken GitHub App secret.
func TestGitCredentialsRedactsURL(t *testing.T) {
	r := fakeReader(t, secret("argocd", "app", "", map[string]string{"githubAppID": "not-a-number", "githubAppInstallationID": "1", "githubAppPrivateKey": "k"}))
	g := &GitCredentials{Reader: r, Namespace: "argocd"}
	_, err := g.GitCredentials(context.Background(), "https://user:s3cret@git.example/x.git", "secret:app")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "git.example/x.git") {
		t.Fatalf("error %v: want the repository named without its password", err)
	}
}

// TestForwardHandler shows attributes and groups added before RouteKlog are
// kept when records reach a logger routed later, and controller-runtime's
// log takes the same route.
func TestForwardHandler(t *testing.T) {
	defer RouteKlog(slog.New(slog.DiscardHandler))
	pre := slog.New(forwardHandler{}).With("component", "watch").WithGroup("req")
	var buf bytes.Buffer
	RouteKlog(slog.New(slog.NewTextHandler(&buf, nil)))
	RouteKlog(nil) // ignored: the route stays
	pre.Info("synced", "kind", "Application")
	crlog.Log.WithName("manager").Info("started", "workers", 2)
	out := buf.String()
	for _, want := range []string{"component=watch", "req.kind=Application", `msg=synced`, `msg=started`, "workers=2", "manager"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	// A handler made from pre does not change pre itself.
	buf.Reset()
	_ = pre.With("extra", 1)
	pre.Info("again")
	if strings.Contains(buf.String(), "extra") {
		t.Errorf("derived handler leaked into its parent: %q", buf.String())
	}
}
