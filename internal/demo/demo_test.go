package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.yaml.in/yaml/v3"
)

func startPlayground(t *testing.T) *Playground {
	t.Helper()
	p, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestPlaygroundRegistry shows the registry holds the documented tags, each
// created an hour after the one before (the order the newest-build strategy
// sees), for linux/amd64.
func TestPlaygroundRegistry(t *testing.T) {
	p := startPlayground(t)
	if !strings.HasPrefix(p.Registry.Host, "127.0.0.1:") {
		t.Fatalf("registry host %q: want loopback", p.Registry.Host)
	}
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		repo        string
		wantTags    []string
		firstOffset time.Duration
	}{
		{repo: "haoshuwei24/guestbook", wantTags: []string{"v1", "v2", "v3", "v4"}},
		{repo: "haoshuwei24/redis", wantTags: []string{"6.0.5", "6.2.14", "7.2.4"}, firstOffset: 4 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			repo, err := name.NewRepository(p.Registry.Host+"/"+tt.repo, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			tags, err := remote.List(repo, remote.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(tags)
			if !slices.Equal(tags, tt.wantTags) {
				t.Fatalf("tags %v, want %v", tags, tt.wantTags)
			}
			for i, tag := range tt.wantTags {
				img, err := remote.Image(repo.Tag(tag), remote.WithContext(ctx))
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				want := base.Add(tt.firstOffset + time.Duration(i)*time.Hour)
				if !cfg.Created.Time.Equal(want) {
					t.Errorf("%s created %s, want %s", tag, cfg.Created.Time, want)
				}
				if cfg.OS != "linux" || cfg.Architecture != "amd64" {
					t.Errorf("%s platform %s/%s", tag, cfg.OS, cfg.Architecture)
				}
			}
		})
	}
}

// TestPlaygroundRepository shows the repository's main branch holds the
// chart pointing at this playground's registry and an Application whose
// annotations name the chart's values and whose repoURL is the repository.
func TestPlaygroundRepository(t *testing.T) {
	p := startPlayground(t)
	ctx := context.Background()
	if p.RepoPath != filepath.Join(p.Dir, "guestbook.git") {
		t.Fatalf("RepoPath %q outside %q", p.RepoPath, p.Dir)
	}
	values, err := p.File(ctx, "helm/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Frontend struct {
			Image struct{ Repository, Tag string }
		}
		Redis struct {
			Master struct {
				Image struct{ Repository, Tag string }
			}
		}
	}
	if err := yaml.Unmarshal([]byte(values), &v); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	if v.Frontend.Image.Repository != p.Registry.Host+"/haoshuwei24/guestbook" || v.Frontend.Image.Tag != "v1" {
		t.Errorf("frontend image %+v", v.Frontend.Image)
	}
	if v.Redis.Master.Image.Repository != p.Registry.Host+"/haoshuwei24/redis" || v.Redis.Master.Image.Tag != "6.0.5" {
		t.Errorf("redis image %+v", v.Redis.Master.Image)
	}

	app, err := p.File(ctx, "apps/guestbook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Kind     string
		Metadata struct {
			Name        string
			Annotations map[string]string
		}
		Spec struct {
			Source struct {
				RepoURL        string `yaml:"repoURL"`
				TargetRevision string `yaml:"targetRevision"`
				Path           string `yaml:"path"`
			} `yaml:"source"`
		}
	}
	if err := yaml.Unmarshal([]byte(app), &a); err != nil {
		t.Fatalf("apps/guestbook.yaml: %v", err)
	}
	if a.Kind != "Application" || a.Metadata.Name != "guestbook" {
		t.Errorf("kind %q name %q", a.Kind, a.Metadata.Name)
	}
	src := a.Spec.Source
	if src.RepoURL != p.RepoPath || src.TargetRevision != "main" || src.Path != "helm" {
		t.Errorf("source %+v", src)
	}
	const prefix = "argocd-image-updater.argoproj.io/"
	wantAnn := map[string]string{
		"image-list":                  "guestbook=" + p.Registry.Host + "/haoshuwei24/guestbook,redis-master=" + p.Registry.Host + "/haoshuwei24/redis:~6.0",
		"guestbook.helm.image-tag":    "frontend.image.tag",
		"redis-master.helm.image-tag": "redis.master.image.tag",
		"write-back-method":           "git",
	}
	for k, want := range wantAnn {
		if got := a.Metadata.Annotations[prefix+k]; got != want {
			t.Errorf("annotation %s = %q, want %q", k, got, want)
		}
	}
	// Every value path an annotation names exists in values.yaml.
	var tree map[string]any
	if err := yaml.Unmarshal([]byte(values), &tree); err != nil {
		t.Fatal(err)
	}
	for k, path := range a.Metadata.Annotations {
		if !strings.HasSuffix(k, ".helm.image-name") && !strings.HasSuffix(k, ".helm.image-tag") {
			continue
		}
		var node any = tree
		for _, part := range strings.Split(path, ".") {
			m, ok := node.(map[string]any)
			if !ok {
				t.Fatalf("%s: %q is not a map at %q", k, path, part)
			}
			node = m[part]
		}
		if _, ok := node.(string); !ok {
			t.Errorf("%s: %q names %v in values.yaml, want a string", k, path, node)
		}
	}

	commit, err := p.LastCommit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Author: Demo User <demo@example.com>", "Add the guestbook chart and its Application", "helm/templates/frontend.yaml"} {
		if !strings.Contains(commit, want) {
			t.Errorf("last commit lacks %q:\n%s", want, commit)
		}
	}
	if _, err := p.File(ctx, "helm/.argocd-source-guestbook.yaml"); err == nil {
		t.Error("the write-back file exists before any update")
	}
}

// TestPlaygroundRegistriesConf shows registries.conf names the registry by
// prefix with a plain-HTTP API URL (the demo registry has no TLS).
func TestPlaygroundRegistriesConf(t *testing.T) {
	p := startPlayground(t)
	b, err := os.ReadFile(p.RegistriesConf)
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Registries []struct {
			Name   string
			Prefix string
			APIURL string `yaml:"api_url"`
		}
	}
	if err := yaml.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	if len(conf.Registries) != 1 {
		t.Fatalf("registries %+v", conf.Registries)
	}
	r := conf.Registries[0]
	if r.Prefix != p.Registry.Host || r.APIURL != "http://"+p.Registry.Host || r.Name == "" {
		t.Fatalf("registry %+v", r)
	}
}

// TestCloseRemovesEverything shows Close removes the directory and stops
// the registry.
func TestCloseRemovesEverything(t *testing.T) {
	p, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if _, err := os.Stat(p.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory after Close: %v", err)
	}
	repo, _ := name.NewRepository(p.Registry.Host+"/haoshuwei24/guestbook", name.Insecure)
	if _, err := remote.List(repo); err == nil {
		t.Fatal("the registry still answers after Close")
	}
	// Closing a playground whose start failed halfway is safe.
	(&Playground{Dir: filepath.Join(t.TempDir(), "never-made")}).Close()
}

func TestStartCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := Start(ctx)
	if err == nil {
		p.Close()
		t.Fatal("Start with a canceled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v: want context.Canceled", err)
	}
}

func TestRegistryPushErrors(t *testing.T) {
	r, err := StartRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		name, repo, tag, wantErr string
	}{
		{name: "a tag name that does not parse", repo: "demo/app", tag: "bad tag", wantErr: "tag"},
		{name: "an upper-case repository", repo: "Demo/App", tag: "v1", wantErr: "repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Push(context.Background(), tt.repo, tt.tag, time.Now())
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tt.wantErr) {
				t.Fatalf("error %v, want one about the %s", err, tt.wantErr)
			}
		})
	}
	r.Close()
	err = r.Push(context.Background(), "demo/app", "v1", time.Now())
	if err == nil || !strings.Contains(err.Error(), "pushing "+r.Host+"/demo/app:v1") {
		t.Fatalf("push to a stopped registry: %v", err)
	}
}

func TestGitOutputErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantErr []string
	}{
		{name: "the command and git's message are in the error", args: []string{"--git-dir", filepath.Join(dir, "missing.git"), "show", "main:x"}, wantErr: []string{"git --git-dir", "show main:x", "not a git repository"}},
		{name: "an unknown subcommand", args: []string{"no-such-subcommand"}, wantErr: []string{"git no-such-subcommand", "exit status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gitOutput(context.Background(), tt.args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
	if err := runGit(context.Background(), "-C", dir, "init", "--initial-branch=main"); err != nil {
		t.Fatalf("runGit init: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		t.Fatalf("runGit did not run: %v", err)
	}
}

// TestChartFilesNameTheirInputs shows the templated files carry the
// registry host and repository path given, and no other file depends on them.
func TestChartFilesNameTheirInputs(t *testing.T) {
	a := chartFiles("reg-a:5000", "/repos/a.git")
	b := chartFiles("reg-b:5000", "/repos/b.git")
	for _, p := range []string{"helm/Chart.yaml", "helm/values.yaml", "helm/templates/frontend.yaml", "apps/guestbook.yaml"} {
		if _, ok := a[p]; !ok {
			t.Fatalf("chart lacks %s", p)
		}
	}
	for p, content := range a {
		templated := strings.Contains(content, "reg-a:5000") || strings.Contains(content, "/repos/a.git")
		if templated == (content == b[p]) {
			t.Errorf("%s: templated %v but equal across inputs %v", p, templated, content == b[p])
		}
	}
	if !strings.Contains(a["apps/guestbook.yaml"], "repoURL: /repos/a.git") {
		t.Errorf("Application does not name the repository:\n%s", a["apps/guestbook.yaml"])
	}
}
