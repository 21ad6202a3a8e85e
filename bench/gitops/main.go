// Command gitops measures a repo-mode update cycle at scale: N Argo CD
// Applications in one Git repository (each a Helm chart with its own image),
// M of which have a newer tag in the registry. It reports wall time,
// commits, pushes, clones, fetches, bytes the Git server sent and received,
// and registry requests for the first and later cycles. The repository is
// served by git http-backend (smart HTTP) unless -local is given.
// Run: go run ./bench/gitops -apps 5000 -moved 500
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func main() {
	apps := flag.Int("apps", 200, "applications in the repository")
	moved := flag.Int("moved", 50, "applications whose image has a newer tag")
	depth := flag.Int("depth", 0, "clone depth (--git-clone-depth; 0 = full history)")
	local := flag.Bool("local", false, "open the bare repository by path instead of serving it over smart HTTP")
	profile := flag.String("cpuprofile", "", "write a CPU profile of cycles 2 and 3 (the steady state) to this file")
	flag.Parse()
	if err := run(context.Background(), *apps, *moved, *depth, *local, *profile); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, apps, moved, depth int, local bool, profile string) error {
	dir, err := os.MkdirTemp("", "imagepilot-bench-gitops-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	host, requests, stop, err := startRegistry()
	if err != nil {
		return err
	}
	defer stop()
	img, err := random.Image(128, 1)
	if err != nil {
		return err
	}
	for i := 0; i < apps; i++ {
		tags := []string{"1.0.0"}
		if i < moved {
			tags = append(tags, "1.1.0")
		}
		for _, tag := range tags {
			ref, err := name.NewTag(fmt.Sprintf("%s/bench/app-%04d:%s", host, i, tag), name.Insecure)
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img); err != nil {
				return err
			}
		}
	}
	bare := filepath.Join(dir, "gitops.git")
	repoURL, traffic := bare, &gitTraffic{}
	if !local {
		url, stopGit, err := serveGit(dir, traffic)
		if err != nil {
			return err
		}
		defer stopGit()
		repoURL = url + "/gitops.git"
	}
	if err := seedRepository(ctx, dir, bare, repoURL, host, apps); err != nil {
		return err
	}
	conf, err := registryconf.Parse([]byte(fmt.Sprintf("registries:\n- name: bench\n  prefix: %s\n  api_url: http://%s\n", host, host)))
	if err != nil {
		return err
	}
	client, err := registry.New(registry.WithResolver(conf.Lookup))
	if err != nil {
		return err
	}
	mgr, err := git.NewManager(git.WithCacheDir(filepath.Join(dir, "cache")), git.WithCloneDepth(depth), git.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	r := &repomode.Runner{
		RepoURL: repoURL, Git: mgr, Registry: client, Resolver: access.NewResolver(conf, nil),
		Writer:      &writeback.GitWriter{Git: mgr, Layout: writeback.Layout{ControllerNamespace: "argocd"}},
		AuthorEmail: "imagepilot@noreply.invalid", Concurrency: 10,
	}
	fmt.Printf("%d applications in one repository, %d with a newer tag, clone depth %d, served %s\n\n", apps, moved, depth, map[bool]string{true: "by path", false: "over smart HTTP"}[local])
	fmt.Println("| cycle | wall time | images updated | commits | pushes | clones | fetches | git processes | bytes from / to the Git server | registry requests |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for cycle := 1; cycle <= 3; cycle++ {
		if cycle == 2 && profile != "" {
			stop, err := startProfile(profile)
			if err != nil {
				return err
			}
			defer stop()
		}
		before, reqBefore := mgr.Stats(), requests.Load()
		sentBefore, recvBefore := traffic.sent.Load(), traffic.received.Load()
		start := time.Now()
		rep, err := r.RunOnce(ctx)
		if err != nil {
			return err
		}
		if err := rep.Err(); err != nil {
			return err
		}
		after := mgr.Stats()
		updated, _, _ := rep.Counts()
		bytes := "n/a (by path)"
		if !local {
			bytes = fmt.Sprintf("%s / %s", kib(traffic.sent.Load()-sentBefore), kib(traffic.received.Load()-recvBefore))
		}
		fmt.Printf("| %d | %v | %d | %d | %d | %d | %d | %d | %s | %d |\n", cycle, time.Since(start).Round(time.Millisecond), updated,
			after.Commits-before.Commits, after.Pushes-before.Pushes, after.Clones-before.Clones, after.Fetches-before.Fetches,
			after.Commands-before.Commands, bytes, requests.Load()-reqBefore)
	}
	out, err := exec.CommandContext(ctx, "git", "--git-dir", bare, "log", "--format=%s", "main").Output()
	if err != nil {
		return err
	}
	fmt.Printf("\ncommits on main: %d (seed + imagepilot)\n", strings.Count(string(out), "\n"))
	return nil
}

// startRegistry serves an in-process registry on 127.0.0.1, counting requests.
func startRegistry() (string, *atomic.Int64, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	var count atomic.Int64
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	return ln.Addr().String(), &count, func() { srv.Close() }, nil
}

// seedRepository creates the bare repository with one chart and Application per app.
func seedRepository(ctx context.Context, dir, bare, repoURL, host string, apps int) error {
	work := filepath.Join(dir, "seed")
	for i := 0; i < apps; i++ {
		app := fmt.Sprintf("app-%04d", i)
		files := map[string]string{
			"charts/" + app + "/Chart.yaml":  "apiVersion: v2\nname: " + app + "\nversion: 0.1.0\n",
			"charts/" + app + "/values.yaml": fmt.Sprintf("image:\n  name: %s/bench/%s\n  tag: 1.0.0\n", host, app),
			"apps/" + app + ".yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: %[2]s/bench/%[1]s
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  project: default
  source: {repoURL: %[3]s, targetRevision: main, path: charts/%[1]s}
  destination: {server: https://kubernetes.default.svc, namespace: %[1]s}
`, app, host, repoURL),
		}
		for p, content := range files {
			full := filepath.Join(work, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				return err
			}
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "--bare", "--initial-branch=main", bare},
		{"-C", work, "init", "-q", "--initial-branch=main"},
		{"-C", work, "add", "."},
		{"-C", work, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-qm", "seed"},
		{"-C", work, "push", "-q", bare, "main"},
	} {
		if out, err := exec.CommandContext(ctx, "git", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %w: %s", args, err, out)
		}
	}
	return nil
}
