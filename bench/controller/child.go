package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// childSettings is what the parent hands the child.
type childSettings struct {
	Kube        kubeAccess
	Registry    string
	Namespace   string
	Legacy      bool
	QPS         float32
	Burst       int
	Concurrency int
	CPUProfile  string
	MemProfile  string
	Events      bool
	Cached      bool
}

// passResult is one measured pass.
type passResult struct {
	Wall          time.Duration
	Patched       int
	RegistryTotal int
	Registry      string
	RegistryKinds map[string]int
	KubeTotal     int
	Kube          string
}

// childResult is what the child prints.
type childResult struct {
	Passes            []passResult
	StartKiB, PeakKiB int
}

// runPasses runs two passes (the first patches, the second is the steady
// state) in a child process, whose peak RSS is then the controller's.
func runPasses(ctx context.Context, cfg config, k *kubeEnv, reg *benchRegistry, ns string) (childResult, error) {
	dir, err := os.MkdirTemp("", "imagepilot-bench-controller-")
	if err != nil {
		return childResult{}, err
	}
	defer os.RemoveAll(dir)
	settings := filepath.Join(dir, "settings.json")
	err = writeJSON(settings, childSettings{Kube: accessOf(k.config), Registry: reg.host, Namespace: ns, Legacy: cfg.legacy,
		QPS: float32(cfg.qps), Burst: cfg.burst, Concurrency: cfg.workers, CPUProfile: cfg.profile, MemProfile: cfg.memProfile, Cached: cfg.cached, Events: cfg.events})
	if err != nil {
		return childResult{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	cmd := exec.CommandContext(ctx, self, "-child", settings)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return childResult{}, fmt.Errorf("child pass: %w", err)
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return childResult{}, fmt.Errorf("child output %q: %w", out, err)
	}
	return res, nil
}

// runChild builds the engine as `imagepilot run --once` does and runs two
// passes.
func runChild(ctx context.Context, settingsPath string, stdout io.Writer) error {
	data, err := os.ReadFile(settingsPath)
	if err != nil {
		return err
	}
	var s childSettings
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	res := childResult{StartKiB: procStatusKiB("VmRSS")}
	kubeCount := &counter{counts: map[string]int{}}
	engine, legacy, err := childEngine(s, kubeCount)
	if err != nil {
		return err
	}
	if s.CPUProfile != "" {
		stop, err := startProfile(s.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	for range 2 {
		kubeCount.take()
		if _, err := registryCounts(s.Registry); err != nil {
			return err
		}
		start := time.Now()
		flush := func() {}
		if s.Events {
			if flush, err = controller.DirectEvents(kubeConfig(s, kubeCount), engine); err != nil {
				return err
			}
		}
		if legacy != nil {
			_, err = engine.RunLegacy(ctx, legacy)
		} else {
			err = engine.RunOnce(ctx)
		}
		flush() // as run --once does before it exits
		if err != nil {
			return fmt.Errorf("pass: %w", err)
		}
		p := passResult{Wall: time.Since(start).Round(time.Millisecond)}
		kinds := kubeCount.take()
		p.Patched = kinds["PATCH applications"]
		p.KubeTotal, p.Kube = summary(kinds)
		if p.RegistryKinds, err = registryCounts(s.Registry); err != nil {
			return err
		}
		p.RegistryTotal, p.Registry = summary(p.RegistryKinds)
		res.Passes = append(res.Passes, p)
	}
	res.PeakKiB = procStatusKiB("VmHWM")
	if s.MemProfile != "" {
		if err := writeHeapProfile(s.MemProfile); err != nil {
			return err
		}
	}
	return json.NewEncoder(stdout).Encode(res)
}

// writeHeapProfile writes the heap profile (live and allocated).
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}

// startProfile writes a CPU profile to path until the returned function
// runs.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func childEngine(s childSettings, kubeCount *counter) (*controller.Engine, *controller.Legacy, error) {
	cfg := kubeConfig(s, kubeCount)
	scheme, err := controller.Scheme()
	if err != nil {
		return nil, nil, err
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	conf, err := registryconf.Parse(fmt.Appendf(nil, "registries:\n- name: bench\n  prefix: %s\n  api_url: http://%s\n", s.Registry, s.Registry))
	if err != nil {
		return nil, nil, err
	}
	rc, err := registry.New(registry.WithResolver(conf.Lookup))
	if err != nil {
		return nil, nil, err
	}
	streamer, err := controller.NewAppStreamer(cfg)
	if err != nil {
		return nil, nil, err
	}
	e := &controller.Engine{
		Client: direct, Streamer: streamer, Resolver: access.NewResolver(conf, kube.SecretGetter{Reader: direct}), Registry: rc,
		ArgoCD: &writeback.ArgoCDWriter{Client: direct}, Interval: 2 * time.Minute, Concurrency: s.Concurrency,
	}
	if s.Cached {
		if err := readThroughCache(cfg, scheme, e); err != nil {
			return nil, nil, err
		}
	}
	if !s.Legacy {
		return e, nil, nil
	}
	e.WatchNamespaces = []string{s.Namespace}
	legacy, err := controller.NewLegacy(nil, "")
	return e, legacy, err
}

// kubeConfig is the measured process's client configuration, counting
// requests in kubeCount.
func kubeConfig(s childSettings, kubeCount *counter) *rest.Config {
	cfg := s.Kube.restConfig()
	cfg.QPS, cfg.Burst = s.QPS, s.Burst
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, count: kubeCount} })
	return cfg
}

func registryCounts(host string) (map[string]int, error) {
	resp, err := http.Get("http://" + host + countsPath)
	if err != nil {
		return nil, fmt.Errorf("registry counts: %w", err)
	}
	defer resp.Body.Close()
	var out map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("registry counts: %w", err)
	}
	return out, nil
}

// countingTransport counts Kubernetes API requests as "VERB resource".
type countingTransport struct {
	next  http.RoundTripper
	count *counter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.count.add(req.Method + " " + resourceOf(req.URL.Path))
	return t.next.RoundTrip(req)
}

// resourceOf names the resource of an API path: /apis/g/v/namespaces/ns/r/name/sub
// gives "r/sub"; cluster-scoped and list paths give "r".
func resourceOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	skip := 2 // api/v1
	if len(segs) > 0 && segs[0] == "apis" {
		skip = 3 // apis/group/version
	}
	if len(segs) <= skip {
		return path
	}
	rest := segs[skip:]
	if rest[0] == "namespaces" && len(rest) > 2 {
		rest = rest[2:]
	}
	if len(rest) == 3 {
		return rest[0] + "/" + rest[2]
	}
	return rest[0]
}

// procStatusKiB reads a kB field of /proc/self/status (0 when absent).
func procStatusKiB(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// readThroughCache points the engine's reads at a synced informer cache
// configured as the manager's (controller.CacheOptions); writes stay
// direct.
func readThroughCache(cfg *rest.Config, scheme *runtime.Scheme, e *controller.Engine) error {
	streamer, err := controller.NewAppStreamer(cfg)
	if err != nil {
		return err
	}
	opts := controller.CacheOptions(nil, streamer)
	opts.Scheme = scheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	go func() { _ = c.Start(context.Background()) }()
	// Informers start on first use: ask for both kinds, then wait.
	for _, obj := range []client.Object{&argocd.Application{}, &v1alpha1.ImageUpdater{}} {
		if _, err := c.GetInformer(context.Background(), obj); err != nil {
			return fmt.Errorf("cache informer: %w", err)
		}
	}
	if !c.WaitForCacheSync(context.Background()) {
		return fmt.Errorf("cache did not sync")
	}
	cached, err := client.New(cfg, client.Options{Scheme: scheme, Cache: &client.CacheOptions{Reader: c}})
	if err != nil {
		return fmt.Errorf("cached client: %w", err)
	}
	e.Client, e.CachedReads = cached, true
	return nil
}
