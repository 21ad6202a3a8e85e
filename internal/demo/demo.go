package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Playground is a running demo environment.
type Playground struct {
	// Dir is the temporary directory holding everything.
	Dir string
	// Registry is the in-process registry.
	Registry *Registry
	// RepoPath is the bare Git repository of the guestbook chart.
	RepoPath string
	// RegistriesConf is a registries.conf for the demo registry.
	RegistriesConf string
}

// Start builds the playground: registry with guestbook v1..v4 and redis
// 6.0.5, 6.2.14 and 7.2.4, and the chart repository deploying v1 and 6.0.5.
func Start(ctx context.Context) (*Playground, error) {
	dir, err := os.MkdirTemp("", "imagepilot-demo-")
	if err != nil {
		return nil, err
	}
	p := &Playground{Dir: dir}
	if p.Registry, err = StartRegistry(); err != nil {
		p.Close()
		return nil, err
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pushes := []struct{ repo, tag string }{
		{"haoshuwei24/guestbook", "v1"}, {"haoshuwei24/guestbook", "v2"}, {"haoshuwei24/guestbook", "v3"}, {"haoshuwei24/guestbook", "v4"},
		{"haoshuwei24/redis", "6.0.5"}, {"haoshuwei24/redis", "6.2.14"}, {"haoshuwei24/redis", "7.2.4"},
	}
	for i, push := range pushes {
		if err := p.Registry.Push(ctx, push.repo, push.tag, base.Add(time.Duration(i)*time.Hour)); err != nil {
			p.Close()
			return nil, err
		}
	}
	if p.RepoPath, err = createRepository(ctx, dir, p.Registry.Host); err != nil {
		p.Close()
		return nil, err
	}
	p.RegistriesConf = filepath.Join(dir, "registries.conf")
	conf := fmt.Sprintf("registries:\n- name: demo registry\n  prefix: %s\n  api_url: http://%s\n", p.Registry.Host, p.Registry.Host)
	if err := os.WriteFile(p.RegistriesConf, []byte(conf), 0o644); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// LastCommit returns `git show` of the repository's newest commit.
func (p *Playground) LastCommit(ctx context.Context) (string, error) {
	return gitOutput(ctx, "--git-dir", p.RepoPath, "show", "--stat", "--patch", "--format=commit %H%nAuthor: %an <%ae>%n%n%B", "main")
}

// File returns a file of the repository's main branch.
func (p *Playground) File(ctx context.Context, path string) (string, error) {
	return gitOutput(ctx, "--git-dir", p.RepoPath, "show", "main:"+path)
}

// Close stops the registry and removes the directory.
func (p *Playground) Close() {
	if p.Registry != nil {
		p.Registry.Close()
	}
	os.RemoveAll(p.Dir)
}
