package forge

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
)

func TestAPIBaseURL(t *testing.T) {
	for _, tc := range []struct {
		provider, repo, override, want string
		wantErr                        bool
	}{
		{GitHub, "https://github.com/o/r.git", "", "https://api.github.com/", false},
		{GitHub, "git@github.com:o/r.git", "", "https://api.github.com/", false},
		{GitHub, "ssh://git@github.com/o/r", "", "https://api.github.com/", false},
		{GitHub, "https://ghe.example.com/o/r.git", "", "https://ghe.example.com/api/v3/", false},
		{GitHub, "http://ghe.example.com:8080/o/r", "", "http://ghe.example.com:8080/api/v3/", false},
		{GitHub, "ssh://git@ghe.example.com:2222/o/r", "", "https://ghe.example.com/api/v3/", false},
		{GitHub, "https://ghe.example.com/o/r", "https://api.ghe.example.com/", "https://api.ghe.example.com/", false},
		{GitHub, "https://ghe.example.com/o/r", "https://x.example.com/api/v3", "https://x.example.com/api/v3/", false},
		{GitLab, "https://gitlab.com/g/sub/p.git", "", "https://gitlab.com/", false},
		{GitLab, "git@gitlab.example.com:g/sub/p.git", "", "https://gitlab.example.com/", false},
		{GitLab, "http://127.0.0.1:8929/g/p", "", "http://127.0.0.1:8929/", false},
		{Gitea, "https://codeberg.org/o/r.git", "", "https://codeberg.org/", false},
		{Gitea, "https://git.example.com/o/r", "https://git.example.com/gitea", "https://git.example.com/gitea/", false},
		{GitHub, "https://github.com/o/r", "ftp://x", "", true},
		{GitHub, "https://github.com/o/r", "https://u:p@x", "", true},
		{GitHub, "file:///tmp/repo", "", "", true},
		{GitHub, "", "", "", true},
		{"bitbucket", "https://bitbucket.org/o/r", "", "", true},
	} {
		got, err := APIBaseURL(tc.provider, tc.repo, tc.override)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("APIBaseURL(%s, %q, %q) = %q, %v; want %q, err=%v", tc.provider, tc.repo, tc.override, got, err, tc.want, tc.wantErr)
		}
		if err != nil && (strings.Contains(err.Error(), ":p@") || !errors.Is(err, ErrConfig)) {
			t.Errorf("error %v: want ErrConfig without credentials", err)
		}
	}
}

func TestRepoPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/o/r.git":              "o/r",
		"https://github.com/o/r/":                 "o/r",
		"https://user:tok@gitlab.com/g/s/t/p.git": "g/s/t/p",
		"git@gitlab.com:g/s/p.git":                "g/s/p",
		"ssh://git@host:22/o/r.git":               "o/r",
		"https://host/r":                          "",
		"https://host/o//r":                       "",
		"https://host/o/../r":                     "",
		"host-without-path":                       "",
	} {
		got, err := RepoPath(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("RepoPath(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "tok") {
			t.Errorf("error leaks credentials: %v", err)
		}
	}
}

func TestSplitMessage(t *testing.T) {
	long := strings.Repeat("é", MaxTitle+10)
	for _, tc := range []struct{ msg, title, body string }{
		{"build: update app\n\nupdates image a\nupdates image b\n", "build: update app", "updates image a\nupdates image b"},
		{"one line", "one line", ""},
		{"\n\nbody only", "fallback", "body only"},
		{"  spaced title  \r\nbody", "spaced title", "body"},
		{long, strings.Repeat("é", MaxTitle), ""},
	} {
		title, body := SplitMessage(tc.msg, "fallback")
		if title != tc.title || body != tc.body {
			t.Errorf("SplitMessage(%q) = %q, %q; want %q, %q", tc.msg, title, body, tc.title, tc.body)
		}
	}
	_, body := SplitMessage("t\n"+strings.Repeat("x", MaxBody+5), "")
	if len([]rune(body)) != MaxBody {
		t.Errorf("body of %d runes, want %d", len([]rune(body)), MaxBody)
	}
}

// fakeCase is one forge behind the fake, with a provider talking to it.
type fakeCase struct {
	kind    string
	project string
	repoURL func(srv *forgetest.Server) string
}

var fakeCases = []fakeCase{
	{GitHub, "team/app", func(s *forgetest.Server) string { return s.URL + "/team/app.git" }},
	{GitLab, "group/sub/app", func(s *forgetest.Server) string { return s.URL + "/group/sub/app.git" }},
	{Gitea, "team/app", func(s *forgetest.Server) string { return s.URL + "/team/app.git" }},
}

func newFake(t *testing.T, fc fakeCase, token string) (*forgetest.Server, Provider) {
	t.Helper()
	srv := forgetest.New(t, fc.kind, fc.project, "s3cr3t-token")
	p, err := New(Config{Provider: fc.kind, RepoURL: fc.repoURL(srv), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return srv, p
}

func TestProviderLifecycle(t *testing.T) {
	ctx := context.Background()
	for _, fc := range fakeCases {
		t.Run(fc.kind, func(t *testing.T) {
			srv, p := newFake(t, fc, "s3cr3t-token")
			srv.Labels["deps"] = 11
			srv.Labels["auto"] = 12
			if p.Name() != fc.kind {
				t.Fatalf("name %q", p.Name())
			}
			// Others' requests, and more than one page of ours.
			srv.Add(forgetest.PR{Head: "feature", Base: "main", Title: "someone else's"})
			srv.Add(forgetest.PR{Head: "image-updater-abcd1234-old1", Base: "main", Title: "old 1"})
			srv.Add(forgetest.PR{Head: "image-updater-abcd1234-fork", Base: "main", Title: "from a fork", HeadRepo: "other/app"})
			srv.Add(forgetest.PR{Head: "image-updater-abcd1234-old2", Base: "release", Title: "other base"})
			srv.Add(forgetest.PR{Head: "image-updater-abcd1234-old3", Base: "main", Title: "old 3"})

			got, err := p.FindOpen(ctx, "main", "image-updater-abcd1234-new")
			if err != nil || got != nil {
				t.Fatalf("FindOpen before open = %+v, %v", got, err)
			}
			pr, err := p.Open(ctx, NewPullRequest{Head: "image-updater-abcd1234-new", Base: "main", Title: "build: update", Body: "details", Labels: []string{"deps", "auto"}})
			if err != nil {
				t.Fatal(err)
			}
			if pr.Number != 6 || pr.Existed || pr.Head != "image-updater-abcd1234-new" || pr.Base != "main" || !strings.HasSuffix(pr.URL, "/6") || len(pr.Warnings) != 0 {
				t.Fatalf("opened %+v", pr)
			}
			if l := srv.PRs()[5].Labels; strings.Join(l, ",") != "deps,auto" {
				t.Fatalf("labels %v", l)
			}
			again, err := p.Open(ctx, NewPullRequest{Head: "image-updater-abcd1234-new", Base: "main", Title: "build: update"})
			if err != nil || !again.Existed || again.Number != 6 {
				t.Fatalf("second open = %+v, %v; want the existing #6", again, err)
			}
			found, err := p.FindOpen(ctx, "main", "image-updater-abcd1234-new")
			if err != nil || found == nil || found.Number != 6 || found.URL != pr.URL {
				t.Fatalf("FindOpen = %+v, %v", found, err)
			}
			list, err := p.ListOpen(ctx, "main", "image-updater-abcd1234-")
			if err != nil {
				t.Fatal(err)
			}
			var heads []string
			for _, l := range list {
				heads = append(heads, l.Head)
			}
			if strings.Join(heads, " ") != "image-updater-abcd1234-old1 image-updater-abcd1234-old3 image-updater-abcd1234-new" {
				t.Fatalf("ListOpen heads %v (pagination, base and fork filters)", heads)
			}
			if err := p.Close(ctx, list[0], "superseded by "+pr.URL); err != nil {
				t.Fatal(err)
			}
			closed := srv.PRs()[1]
			if closed.State != "closed" || len(closed.Comments) != 1 || !strings.Contains(closed.Comments[0], pr.URL) {
				t.Fatalf("closed %+v", closed)
			}
			if err := p.DeleteBranch(ctx, "image-updater-abcd1234-old1"); err != nil {
				t.Fatal(err)
			}
			if d := srv.Deleted(); len(d) != 1 || d[0] != "image-updater-abcd1234-old1" {
				t.Fatalf("deleted %v", d)
			}
			// Pages were followed.
			pages := 0
			for _, r := range srv.Requests() {
				if strings.Contains(r, "page=3") {
					pages++
				}
			}
			if pages == 0 {
				t.Fatalf("no third page requested: %v", srv.Requests())
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	ctx := context.Background()
	for _, fc := range fakeCases {
		t.Run(fc.kind, func(t *testing.T) {
			t.Run("bad token", func(t *testing.T) {
				srv, p := newFake(t, fc, "wrong-token-value")
				_, err := p.Open(ctx, NewPullRequest{Head: "h", Base: "main", Title: "t"})
				if StatusOf(err) != http.StatusUnauthorized || strings.Contains(err.Error(), "wrong-token-value") {
					t.Fatalf("err %v (status %d), want 401 without the token", err, StatusOf(err))
				}
				if len(srv.PRs()) != 0 {
					t.Fatal("opened with a bad token")
				}
			})
			for _, tc := range []struct {
				op     string
				status int
				call   func(Provider) error
			}{
				{"list", http.StatusForbidden, func(p Provider) error { _, err := p.FindOpen(ctx, "main", "h"); return err }},
				{"list", http.StatusBadGateway, func(p Provider) error { _, err := p.ListOpen(ctx, "main", "h"); return err }},
				{"create", http.StatusUnprocessableEntity, func(p Provider) error {
					_, err := p.Open(ctx, NewPullRequest{Head: "h", Base: "main", Title: "t"})
					return err
				}},
				{"create", http.StatusInternalServerError, func(p Provider) error {
					_, err := p.Open(ctx, NewPullRequest{Head: "h", Base: "main", Title: "t"})
					return err
				}},
				{"comment", http.StatusForbidden, func(p Provider) error { return p.Close(ctx, PullRequest{Number: 1}, "c") }},
				{"close", http.StatusInternalServerError, func(p Provider) error { return p.Close(ctx, PullRequest{Number: 1}, "") }},
				{"delete", http.StatusForbidden, func(p Provider) error { return p.DeleteBranch(ctx, "h") }},
			} {
				srv, p := newFake(t, fc, "s3cr3t-token")
				srv.Add(forgetest.PR{Head: "x", Base: "main", Title: "t"})
				srv.Fail(tc.op, tc.status)
				err := tc.call(p)
				var fe *Error
				if !errors.As(err, &fe) || fe.StatusCode != tc.status || fe.Provider != fc.kind || strings.Contains(err.Error(), "s3cr3t-token") {
					t.Errorf("%s %d: err %v", tc.op, tc.status, err)
				}
			}
			t.Run("deleting a missing branch is fine", func(t *testing.T) {
				_, p := newFake(t, fc, "s3cr3t-token")
				if err := p.DeleteBranch(ctx, "gone"); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

func TestLabelFailureIsAWarning(t *testing.T) {
	ctx := context.Background()
	for _, fc := range fakeCases {
		if fc.kind == GitLab {
			continue // labels go with the create call
		}
		t.Run(fc.kind, func(t *testing.T) {
			srv, p := newFake(t, fc, "s3cr3t-token")
			srv.Fail("labels", http.StatusForbidden)
			pr, err := p.Open(ctx, NewPullRequest{Head: "h", Base: "main", Title: "t", Labels: []string{"deps"}})
			if err != nil || len(pr.Warnings) != 1 || len(srv.Open()) != 1 {
				t.Fatalf("pr %+v err %v", pr, err)
			}
		})
	}
	t.Run("gitea unknown label", func(t *testing.T) {
		srv, p := newFake(t, fakeCases[2], "s3cr3t-token")
		srv.Labels["deps"] = 3
		pr, err := p.Open(ctx, NewPullRequest{Head: "h", Base: "main", Title: "t", Labels: []string{"deps", "nope"}})
		if err != nil || len(pr.Warnings) != 1 || !strings.Contains(pr.Warnings[0], "nope") || strings.Join(srv.PRs()[0].Labels, ",") != "deps" {
			t.Fatalf("pr %+v err %v labels %v", pr, err, srv.PRs()[0].Labels)
		}
	})
}

func TestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	for _, fc := range fakeCases {
		p, err := New(Config{Provider: fc.kind, RepoURL: srv.URL + "/" + fc.project, APIURL: srv.URL + "/api", Token: "t0ken",
			HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = p.FindOpen(context.Background(), "main", "h")
		if err == nil || time.Since(start) > 5*time.Second || strings.Contains(err.Error(), "t0ken") {
			t.Errorf("%s: err %v after %v", fc.kind, err, time.Since(start))
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.StatusCode != 0 {
			t.Errorf("%s: %v is not a status-less *Error", fc.kind, err)
		}
	}
}

func TestNewRefusesMissingToken(t *testing.T) {
	for _, fc := range fakeCases {
		if _, err := New(Config{Provider: fc.kind, RepoURL: "https://example.com/" + fc.project}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", fc.kind, err)
		}
	}
	if _, err := New(Config{Provider: GitHub, RepoURL: "https://example.com/a/b/c", Token: "x"}); !errors.Is(err, ErrConfig) {
		t.Errorf("GitHub with a nested path: %v", err)
	}
}

func TestRedact(t *testing.T) {
	err := redactErr(context.DeadlineExceeded, "")
	if err != context.DeadlineExceeded {
		t.Fatal("unchanged error rewrapped")
	}
	err = redactErr(errors.Join(errors.New("Authorization: token abc123"), context.DeadlineExceeded), "abc123")
	if strings.Contains(err.Error(), "abc123") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("redacted %v", err)
	}
	if got := redactUserinfo("https://u:p@h/x"); got != "https://redacted@h/x" {
		t.Fatalf("redactUserinfo %q", got)
	}
}

func TestGitHubAppTokens(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	srv := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_installation")
	srv.AppID, srv.AppInstallationID, srv.AppKey = 42, 7, &key.PublicKey
	app, ok, err := ParseGitHubApp(map[string][]byte{"githubAppID": []byte("42"), "githubAppInstallationID": []byte("7"),
		"githubAppPrivateKey": pemKey, "githubAppEnterpriseBaseUrl": []byte(srv.URL + "/api/v3")})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	var tokens AppTokens
	for range 3 {
		tok, err := tokens.Token(context.Background(), app, "https://ghe.example.com/team/app.git")
		if err != nil || tok != "ghs_installation" {
			t.Fatalf("token %q, %v", tok, err)
		}
	}
	if n := srv.Exchanges(); n != 1 {
		t.Fatalf("%d exchanges, want 1 (the token is reused until it expires)", n)
	}
	// The installation token works for the API.
	p, err := New(Config{Provider: GitHub, RepoURL: srv.URL + "/team/app.git", Token: "ghs_installation"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ListOpen(context.Background(), "main", "x"); err != nil {
		t.Fatal(err)
	}

	// Another key: refused, the error names the status and no key material.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad := app
	bad.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})
	_, err = tokens.Token(context.Background(), bad, "https://ghe.example.com/team/app.git")
	if StatusOf(err) != http.StatusUnauthorized || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatalf("wrong key: %v", err)
	}
	bad.PrivateKey = []byte("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n")
	if _, err = tokens.Token(context.Background(), bad, "https://ghe.example.com/team/app.git"); !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("malformed key: %v", err)
	}
}

func TestParseGitHubApp(t *testing.T) {
	for name, tc := range map[string]struct {
		data    map[string]string
		ok      bool
		wantErr string
	}{
		"none":             {data: map[string]string{"password": "x"}},
		"complete":         {data: map[string]string{"githubAppID": "1", "githubAppInstallationID": "2", "githubAppPrivateKey": "k"}, ok: true},
		"bad id":           {data: map[string]string{"githubAppID": "one", "githubAppInstallationID": "2", "githubAppPrivateKey": "k"}, ok: true, wantErr: "githubAppID"},
		"no installation":  {data: map[string]string{"githubAppID": "1", "githubAppPrivateKey": "k"}, ok: true, wantErr: "githubAppInstallationID"},
		"no key":           {data: map[string]string{"githubAppID": "1", "githubAppInstallationID": "2"}, ok: true, wantErr: "githubAppPrivateKey"},
		"negative install": {data: map[string]string{"githubAppID": "1", "githubAppInstallationID": "-2", "githubAppPrivateKey": "k"}, ok: true, wantErr: "githubAppInstallationID"},
		"zero app id":      {data: map[string]string{"githubAppID": "0", "githubAppInstallationID": "2", "githubAppPrivateKey": "k"}, ok: true, wantErr: "githubAppID"},
		"blank key":        {data: map[string]string{"githubAppID": "1", "githubAppInstallationID": "2", "githubAppPrivateKey": " \n"}, ok: true, wantErr: "githubAppPrivateKey"},
		"spaces trimmed":   {data: map[string]string{"githubAppID": " 1\n", "githubAppInstallationID": "2 ", "githubAppPrivateKey": "k", "githubAppEnterpriseBaseUrl": " https://ghe/api/v3\n"}, ok: true},
	} {
		t.Run(name, func(t *testing.T) {
			data := map[string][]byte{}
			for k, v := range tc.data {
				data[k] = []byte(v)
			}
			app, ok, err := ParseGitHubApp(data)
			if ok != tc.ok || (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("ParseGitHubApp = %+v, %v, %v", app, ok, err)
			}
			if err == nil && ok && (app.AppID != 1 || app.InstallationID != 2 || string(app.PrivateKey) != "k" ||
				app.EnterpriseBaseURL != strings.TrimSpace(tc.data["githubAppEnterpriseBaseUrl"])) {
				t.Fatalf("ParseGitHubApp = %+v", app)
			}
		})
	}
}
