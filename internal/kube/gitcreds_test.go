package kube

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/imagepilot/imagepilot/internal/git"
)

func secret(ns, name, kind string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	if kind != "" {
		s.Labels = map[string]string{SecretTypeLabel: kind}
	}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func fakeReader(t *testing.T, objs ...client.Object) client.Reader {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

func TestGitCredentials(t *testing.T) {
	r := fakeReader(t,
		secret("argocd", "repo", SecretTypeRepository, map[string]string{"url": "https://git.example/team/app.git", "username": "repo-user", "password": "p1"}),
		secret("argocd", "tmpl-short", SecretTypeRepoCreds, map[string]string{"url": "https://git.example/", "username": "short"}),
		secret("argocd", "tmpl-long", SecretTypeRepoCreds, map[string]string{"url": "https://git.example/team/", "username": "long", "insecure": "true"}),
		secret("argocd", "ssh", SecretTypeRepoCreds, map[string]string{"url": "git@ssh.example:", "sshPrivateKey": "KEY"}),
		secret("other", "repo-elsewhere", SecretTypeRepository, map[string]string{"url": "https://elsewhere.example/x", "username": "nope"}),
		secret("argocd", "named", "", map[string]string{"username": "n", "password": "np", "tlsClientCertData": "CERT", "tlsClientCertKey": "CKEY"}),
		secret("ops", "named", "", map[string]string{"sshPrivateKey": "OPSKEY"}),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: TLSCertsConfigMap}, Data: map[string]string{"git.example": "CA-PEM"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: KnownHostsConfigMap}, Data: map[string]string{KnownHostsKey: "ssh.example ssh-ed25519 AAAA"}},
	)
	g := &GitCredentials{Reader: r, Namespace: "argocd"}
	for name, tc := range map[string]struct {
		url, ref string
		want     git.Credentials
	}{
		"exact repository, case and .git ignored": {"https://GIT.example/team/app", "repocreds", git.Credentials{Username: "repo-user", Password: "p1", CAData: []byte("CA-PEM")}},
		"longest template":                        {"https://git.example/team/other.git", "", git.Credentials{Username: "long", InsecureSkipTLSVerify: true, InsecureIgnoreHostKey: true, CAData: []byte("CA-PEM")}},
		"short template":                          {"https://git.example/solo/x.git", "repocreds", git.Credentials{Username: "short", CAData: []byte("CA-PEM")}},
		"ssh template and known hosts":            {"git@ssh.example:team/x.git", "repocreds", git.Credentials{SSHPrivateKey: []byte("KEY"), KnownHosts: []byte("ssh.example ssh-ed25519 AAAA")}},
		"other namespace ignored":                 {"https://elsewhere.example/x", "repocreds", git.Credentials{}},
		"named secret, default namespace":         {"https://other.example/x", "secret:named", git.Credentials{Username: "n", Password: "np", ClientCertData: []byte("CERT"), ClientKeyData: []byte("CKEY")}},
		"named secret with namespace":             {"ssh://git@ssh.example/x", "secret:ops/named", git.Credentials{SSHPrivateKey: []byte("OPSKEY"), KnownHosts: []byte("ssh.example ssh-ed25519 AAAA")}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := g.GitCredentials(context.Background(), tc.url, tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if !credsEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	for _, ref := range []string{"secret:missing", "secret:ns/", "token:x"} {
		if _, err := g.GitCredentials(context.Background(), "https://git.example/x", ref); err == nil {
			t.Errorf("%s: accepted", ref)
		}
	}
}

func credsEqual(a, b git.Credentials) bool {
	return a.Username == b.Username && a.Password == b.Password && string(a.SSHPrivateKey) == string(b.SSHPrivateKey) &&
		string(a.KnownHosts) == string(b.KnownHosts) && string(a.CAData) == string(b.CAData) &&
		string(a.ClientCertData) == string(b.ClientCertData) && string(a.ClientKeyData) == string(b.ClientKeyData) &&
		a.InsecureSkipTLSVerify == b.InsecureSkipTLSVerify && a.InsecureIgnoreHostKey == b.InsecureIgnoreHostKey
}

func TestSecretGetter(t *testing.T) {
	g := SecretGetter{Reader: fakeReader(t, secret("ns", "pull", "", map[string]string{".dockerconfigjson": "{}"}))}
	data, err := g.GetSecret(context.Background(), "ns", "pull")
	if err != nil || string(data[".dockerconfigjson"]) != "{}" {
		t.Fatalf("%v %v", data, err)
	}
	if _, err := g.GetSecret(context.Background(), "ns", "missing"); err == nil || !strings.Contains(err.Error(), "ns/missing") {
		t.Fatalf("missing: %v", err)
	}
}

func FuzzRepoHost(f *testing.F) {
	for _, s := range []string{"https://h.example/x", "git@h:x", "ssh://u@h:22/x", "/local/path", "::", "@:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		host, _ := repoHost(u)
		if strings.ContainsAny(host, "/@") && !strings.Contains(u, "://") {
			t.Fatalf("%q: host %q", u, host)
		}
		_ = normalizeRepoURL(u)
	})
}
