// Command registry measures what imagepilot's registry client costs a
// registry: 1,000 targets over 50 repositories of 200 tags each, served by
// go-containerregistry's in-process registry behind a proxy that adds 20 ms
// to every request. It prints requests by kind and wall time for two cycles
// and fails when the second cycle needs more requests than listing pages.
//
//	go run ./bench/registry [-targets 1000] [-repos 50] [-tags 200] [-latency 20ms] [-page 1000]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
)

type config struct {
	targets, repos, tags, page, workers, imagesPerRepo int
	latency                                            time.Duration
}

func main() {
	var cfg config
	flag.IntVar(&cfg.targets, "targets", 1000, "targets (application images) per cycle")
	flag.IntVar(&cfg.repos, "repos", 50, "distinct repositories")
	flag.IntVar(&cfg.tags, "tags", 200, "tags per repository")
	flag.IntVar(&cfg.page, "page", registry.DefaultPageSize, "tag listing page size")
	flag.IntVar(&cfg.workers, "workers", 16, "targets processed concurrently")
	flag.IntVar(&cfg.imagesPerRepo, "images", 4, "distinct images behind each repository's tags")
	flag.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "latency the proxy adds per request")
	flag.Parse()
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	counter := &counter{counts: map[string]int{}}
	backend := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	direct := httptest.NewServer(backend)
	defer direct.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counter.add(r)
		select {
		case <-time.After(cfg.latency):
		case <-r.Context().Done():
			return
		}
		backend.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	if err := populate(cfg, strings.TrimPrefix(direct.URL, "http://")); err != nil {
		return err
	}
	client, err := registry.New(registry.WithPageSize(cfg.page))
	if err != nil {
		return err
	}
	host := strings.TrimPrefix(proxy.URL, "http://")
	pages := cfg.repos * pagesPerRepo(cfg.tags, cfg.page)
	fmt.Fprintf(out, "targets=%d repos=%d tags/repo=%d page=%d latency=%s workers=%d listing pages=%d\n",
		cfg.targets, cfg.repos, cfg.tags, cfg.page, cfg.latency, cfg.workers, pages)
	var second int
	for cycle := 1; cycle <= 2; cycle++ {
		counter.reset()
		start := time.Now()
		if err := runCycle(ctx, cfg, client.NewCycle(), host); err != nil {
			return fmt.Errorf("cycle %d: %w", cycle, err)
		}
		total, kinds := counter.snapshot()
		fmt.Fprintf(out, "cycle %d: requests=%d (%s) wall=%s\n", cycle, total, kinds, time.Since(start).Round(time.Millisecond))
		second = total
	}
	if second != pages {
		return fmt.Errorf("steady state: %d requests per cycle, want %d (listing pages)", second, pages)
	}
	return nil
}

// runCycle processes every target: three in four follow semver (tags
// only); one in four uses newest-build on three tags.
func runCycle(ctx context.Context, cfg config, cy *registry.Cycle, host string) error {
	jobs := make(chan int)
	errs := make(chan error, cfg.targets)
	var wg sync.WaitGroup
	for range cfg.workers {
		wg.Go(func() {
			for i := range jobs {
				errs <- target(ctx, cfg, cy, host, i)
			}
		})
	}
	for i := range cfg.targets {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func target(ctx context.Context, cfg config, cy *registry.Cycle, host string, i int) error {
	repo, err := name.NewRepository(fmt.Sprintf("%s/team/app%02d", host, i%cfg.repos))
	if err != nil {
		return err
	}
	tags, err := cy.Tags(ctx, repo, nil)
	if err != nil {
		return err
	}
	if len(tags) != cfg.tags {
		return fmt.Errorf("%s: %d tags, want %d", repo, len(tags), cfg.tags)
	}
	if i%4 != 3 {
		return nil
	}
	md := cy.Metadata(repo, nil)
	platforms := []policy.Platform{{OS: "linux", Architecture: "amd64"}}
	for _, tag := range tags[len(tags)-3:] {
		if _, err := md.Created(ctx, tag, platforms); err != nil {
			return err
		}
	}
	return nil
}

// populate pushes the repositories straight to the registry (not counted).
func populate(cfg config, host string) error {
	for r := range cfg.repos {
		repo, err := name.NewRepository(fmt.Sprintf("%s/team/app%02d", host, r))
		if err != nil {
			return err
		}
		imgs, err := images(cfg.imagesPerRepo, r)
		if err != nil {
			return err
		}
		for i, img := range imgs {
			if err := remote.Write(repo.Tag(fmt.Sprintf("seed-%d", i)), img); err != nil {
				return err
			}
		}
		for t := range cfg.tags - len(imgs) {
			if err := remote.Tag(repo.Tag(fmt.Sprintf("1.%d.%d", t/10, t%10)), imgs[t%len(imgs)]); err != nil {
				return err
			}
		}
	}
	return nil
}

func images(n, seed int) ([]v1.Image, error) {
	var out []v1.Image
	for i := range n {
		img, err := random.Image(64, 1)
		if err != nil {
			return nil, err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = "linux", "amd64"
		cfg.Created = v1.Time{Time: time.Date(2025, 1, 1+i, seed%24, 0, 0, 0, time.UTC)}
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

func pagesPerRepo(tags, page int) int {
	p := tags/page + 1 // a full last page costs one more (empty) request
	return p
}

// counter counts proxied requests by "METHOD kind".
type counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *counter) add(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[r.Method+" "+registry.RequestKind(r)]++
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = map[string]int{}
}

func (c *counter) snapshot() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keys []string
	total := 0
	for k, v := range c.counts {
		keys = append(keys, fmt.Sprintf("%s=%d", k, v))
		total += v
	}
	sort.Strings(keys)
	return total, strings.Join(keys, ", ")
}
