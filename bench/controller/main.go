// Command controller measures one pass of the in-cluster controller (the
// code behind `imagepilot run --once` without --repo) at scale: Argo CD
// Applications (Helm, argocd write-back, live images in status) in a real
// kube-apiserver started with envtest, selected by a few ImageUpdaters (or
// by legacy annotations), over images in go-containerregistry's in-process
// registry. Each pass runs in a child process, which reports wall time,
// registry requests, Kubernetes API requests, Applications patched and its
// peak RSS (VmHWM). It fails when a pass lists a repository more than once.
//
//	go run ./bench/controller [-apps 1000,5000] [-images 50] [-moved 100] [-updaters 5] [-legacy] [-qps 50 -burst 100] [-realistic] [-latency 25ms] [-tokens] [-events=false] [-cached]
//
// kube-apiserver and etcd come from KUBEBUILDER_ASSETS or the cache of
// hack/kube-apiserver.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is the benchmark's shape.
type config struct {
	apps     []int
	images   int
	tags     int
	moved    int
	updaters int
	legacy   bool
	qps      float64
	burst    int
	workers  int
	profile  string
	// memProfile is where the child writes its heap profile.
	memProfile string
	// realistic seeds Applications of a real size (about 35 KB).
	realistic bool
	// latency is added to every registry request.
	latency time.Duration
	// tokens makes the registry demand bearer tokens from a token server.
	tokens bool
	// events records ImagesUpdated Events (flushed at the end of each
	// pass, as `run --once` does before exiting).
	events bool
	// cached reads Applications and ImageUpdaters from an informer cache,
	// as the manager does, instead of listing them each pass.
	cached bool
}

func main() {
	var cfg config
	var apps string
	child := flag.String("child", "", "internal: run one pass with the settings in this file")
	flag.StringVar(&apps, "apps", "1000,5000", "comma-separated Application counts, one measured pass set each")
	flag.IntVar(&cfg.images, "images", 50, "distinct images (registry repositories)")
	flag.IntVar(&cfg.tags, "tags", 10, "tags per repository")
	flag.IntVar(&cfg.moved, "moved", 100, "Applications one tag behind (patched by the first pass)")
	flag.IntVar(&cfg.updaters, "updaters", 5, "ImageUpdaters sharing the Applications")
	flag.BoolVar(&cfg.legacy, "legacy", false, "select Applications by legacy annotations instead of ImageUpdaters")
	flag.Float64Var(&cfg.qps, "qps", 50, "Kubernetes client QPS of the measured process (--kube-api-qps; negative: unlimited)")
	flag.IntVar(&cfg.burst, "burst", 100, "Kubernetes client burst (--kube-api-burst)")
	flag.IntVar(&cfg.workers, "concurrency", 10, "images checked at once (--max-concurrent-apps)")
	flag.BoolVar(&cfg.realistic, "realistic", false, "seed Applications of a real size (~35 KB: 50 resources in status, 10 history entries, an operation state, managed fields)")
	flag.DurationVar(&cfg.latency, "latency", 0, "latency added to every registry request")
	flag.BoolVar(&cfg.tokens, "tokens", false, "the registry demands bearer tokens (Docker token auth)")
	flag.BoolVar(&cfg.cached, "cached", false, "read through an informer cache as the manager does (passes do not list)")
	flag.BoolVar(&cfg.events, "events", true, "record ImagesUpdated Events and flush them at the end of each pass")
	flag.StringVar(&cfg.profile, "cpuprofile", "", "write the measured process's CPU profile of the last -apps count here")
	flag.StringVar(&cfg.memProfile, "memprofile", "", "write the measured process's heap profile (after its passes) of the last -apps count here")
	flag.Parse()
	ctx := context.Background()
	if *child != "" {
		if err := runChild(ctx, *child, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	for _, s := range strings.Split(apps, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < cfg.moved {
			log.Fatalf("-apps %q: want counts of at least -moved (%d)", s, cfg.moved)
		}
		cfg.apps = append(cfg.apps, n)
	}
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config) error {
	kube, err := startKube()
	if err != nil {
		return err
	}
	defer kube.stop()
	reg, err := startRegistry(cfg.latency, cfg.tokens)
	if err != nil {
		return err
	}
	defer reg.close()
	if err := reg.populate(cfg.images, cfg.tags); err != nil {
		return err
	}
	fmt.Printf("images=%d tags/image=%d moved=%d updaters=%d legacy=%t qps=%g burst=%d concurrency=%d realistic=%t latency=%s tokens=%t events=%t\n",
		cfg.images, cfg.tags, cfg.moved, cfg.updaters, cfg.legacy, cfg.qps, cfg.burst, cfg.workers, cfg.realistic, cfg.latency, cfg.tokens, cfg.events)
	for i, n := range cfg.apps {
		ns := fmt.Sprintf("bench-%d", i)
		if err := kube.seed(ctx, cfg, ns, n, reg.host); err != nil {
			return err
		}
		res, err := runPasses(ctx, cfg, kube, reg, ns)
		if err != nil {
			return err
		}
		report(n, res)
		if err := check(ctx, cfg, kube, reg, ns, n, res); err != nil {
			return err
		}
		if err := kube.retire(ctx, ns); err != nil {
			return err
		}
	}
	return nil
}

func report(apps int, res childResult) {
	for i, p := range res.Passes {
		fmt.Printf("apps=%d pass %d: wall=%s patched=%d registry=%d (%s) kube=%d (%s)\n",
			apps, i+1, p.Wall, p.Patched, p.RegistryTotal, p.Registry, p.KubeTotal, p.Kube)
	}
	fmt.Printf("apps=%d peak RSS (VmHWM) %d MiB, RSS before the first pass %d MiB\n", apps, res.PeakKiB/1024, res.StartKiB/1024)
}
