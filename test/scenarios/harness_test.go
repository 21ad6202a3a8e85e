package scenarios_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/test/infra"
)

// mode is one of imagepilot's two ways of running.
type mode string

const (
	repoMode       mode = "repo"
	controllerMode mode = "controller"
)

var bothModes = []mode{repoMode, controllerMode}

// credsEnv names the variable registries.conf reads the registry's
// credentials from, in both modes.
const credsEnv = "SCENARIO_REGISTRY_CREDS"

const (
	commitUser  = "imagepilot-test"
	commitEmail = "bot@example.com"
)

// world is one scenario's real components and the names a mode gives
// them.
type world struct {
	reg     *infra.Registry
	git     *infra.GitHTTPServer
	bare    string
	repoURL string
	conf    string // registries.conf text
	// ns is the applications' namespace: "argocd" in the manifests of repo
	// mode, a fresh namespace of the API server in the controller.
	ns string
	// writeBack is the write-back method the mode's applications use:
	// "git" in repo mode (the repository's credentials are the run's
	// flags), git:secret:<ns>/git-creds in the controller.
	writeBack string
}

var digestRef = regexp.MustCompile(`\$DIGEST\{([^}]+)\}`)

// expand replaces $REG (the registry's host:port), $REPO (the Git
// repository's URL), $NS (the applications' namespace), $WRITEBACK (the
// mode's write-back method) and $DIGEST{repo:tag} (the digest the registry
// serves for that tag now) in s.
func (w *world) expand(t *testing.T, s string) string {
	t.Helper()
	s = strings.NewReplacer("$REG", w.reg.Host, "$REPO", w.repoURL, "$NS", w.ns, "$WRITEBACK", w.writeBack).Replace(s)
	return digestRef.ReplaceAllStringFunc(s, func(m string) string {
		ref, err := name.NewTag(w.reg.Host + "/" + digestRef.FindStringSubmatch(m)[1])
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref, w.reg.RemoteOptions(context.Background())...)
		if err != nil {
			t.Fatalf("HEAD %s: %v", ref, err)
		}
		return desc.Digest.String()
	})
}

// pushAll pushes each image's tags in order, one hour of creation time
// apart (the order newest-build sees); a tag pushed again gets a new image.
func (w *world) pushAll(t *testing.T, pushes []push, hour *int) {
	t.Helper()
	for _, p := range pushes {
		for _, tag := range p.tags {
			*hour++
			img := infra.NewImage(t, infra.ImageSpec{Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(*hour) * time.Hour)})
			infra.PushImage(t, w.reg.Host+"/"+p.repo, img, w.reg.RemoteOptions(context.Background()), tag)
		}
	}
}

// file returns a file of the main branch ("" and false when absent).
func (w *world) file(t *testing.T, path string) (string, bool) {
	t.Helper()
	out, err := exec.Command("git", "--git-dir", w.bare, "show", "main:"+path).Output()
	if err != nil {
		return "", false
	}
	return string(out), true
}

func (w *world) head(t *testing.T) string {
	t.Helper()
	return infra.GitRun(t, w.bare, "rev-parse", "main")
}

// imagepilotCommits returns the subjects of imagepilot's commits on main
// after base, newest first.
func (w *world) imagepilotCommits(t *testing.T, base string) []string {
	t.Helper()
	out := infra.GitRun(t, w.bare, "log", "--author="+commitEmail, "--format=%s", base+"..main")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// counts are a cycle's summary counts, read from its summary line
// ("Processing results: ..."), which both modes log.
type counts struct{ apps, considered, skipped, updated, errors int }

var summaryLine = regexp.MustCompile(`Processing results: applications=(\d+) images_considered=(\d+) images_skipped=(\d+) images_updated=(\d+) errors=(\d+)`)

// parseCounts sums the summary lines of log (a controller pass over
// several ImageUpdaters logs one each); it fails when there is none.
func parseCounts(t *testing.T, log string) counts {
	t.Helper()
	ms := summaryLine.FindAllStringSubmatch(log, -1)
	if len(ms) == 0 {
		t.Fatalf("no summary line in the log:\n%s", log)
	}
	var c counts
	for _, m := range ms {
		n := make([]int, 5)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		c.apps += n[0]
		c.considered += n[1]
		c.skipped += n[2]
		c.updated += n[3]
		c.errors += n[4]
	}
	return c
}

// driver materialises a scenario in one mode and runs its cycles.
type driver interface {
	// prepare adds the mode's own files to the repository's (repo mode:
	// the manifests).
	prepare(t *testing.T, w *world, sc *scenario, files map[string]string)
	// start creates what the mode reads outside the repository (the
	// controller: Secret, Applications, ImageUpdater) and places the
	// scenario's hold.
	start(t *testing.T, w *world, sc *scenario)
	// cycle runs one update cycle and returns its log.
	cycle(t *testing.T, w *world, sc *scenario) string
	// synced tells the mode what Argo CD deployed after a cycle.
	synced(t *testing.T, w *world, sc *scenario, log string)
}

// run runs sc in mode m: real registry and git server, the scenario's
// images and files, two cycles with the scenario's changes between them,
// each checked against the same expectations in both modes.
func run(t *testing.T, sc *scenario, m mode) {
	if gap := sc.gaps[m]; gap != "" {
		t.Skip(gap)
	}
	w := &world{ns: "argocd", writeBack: "git"}
	w.reg = infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryBasic})
	w.git = infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "git", Password: "gitpw"})
	w.bare = w.git.RepoPath("gitops.git")
	w.repoURL = w.git.RepoURL("gitops.git")
	w.conf = fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n  credentials: env:%s\n", w.reg.Host, w.reg.URL, credsEnv)
	t.Setenv(credsEnv, w.reg.Username+":"+w.reg.Password)
	t.Setenv("SCENARIO_GIT_PASSWORD", "gitpw")

	var d driver
	switch m {
	case repoMode:
		d = &repoDriver{}
	case controllerMode:
		c := &controllerDriver{kube: infra.StartKube(t)}
		w.ns = c.kube.Namespace(t)
		w.writeBack = "git:secret:" + w.ns + "/git-creds"
		d = c
	}
	hour := 0
	w.pushAll(t, sc.push, &hour)
	files := map[string]string{}
	for p, content := range sc.files {
		files[p] = w.expand(t, content)
	}
	d.prepare(t, w, sc, files)
	infra.GitBareRepoFromFiles(t, w.bare, "main", files)
	d.start(t, w, sc)
	base := w.head(t)

	switch sc.registry {
	case registryUnauthorised:
		t.Setenv(credsEnv, w.reg.Username+":wrong-password")
	case registryDown:
		w.reg.Proxy.AddFault(infra.Fault{Status: 503})
	}

	log := d.cycle(t, w, sc)
	check(t, w, "first cycle", base, log, sc.first)
	d.synced(t, w, sc, log)

	w.pushAll(t, sc.between.push, &hour)
	if len(sc.between.files) > 0 {
		changed := map[string]string{}
		for p, content := range sc.between.files {
			changed[p] = w.expand(t, content)
		}
		infra.GitPushFiles(t, w.bare, "main", "a person's change", changed)
	}
	log = d.cycle(t, w, sc)
	check(t, w, "second cycle", base, log, sc.second)
}

// check asserts what must be true after a cycle, the same in both modes.
func check(t *testing.T, w *world, when, base, log string, want expect) {
	t.Helper()
	got := parseCounts(t, log)
	if got.updated != want.updated || got.skipped != want.skipped || got.errors != want.errors {
		t.Errorf("%s: updated %d skipped %d errors %d, want %d %d %d\n%s", when, got.updated, got.skipped, got.errors,
			want.updated, want.skipped, want.errors, log)
	}
	commits := w.imagepilotCommits(t, base)
	if len(commits) != want.commits {
		t.Errorf("%s: %d imagepilot commits since the scenario started %q, want %d", when, len(commits), commits, want.commits)
	}
	if want.subject != "" && (len(commits) == 0 || !strings.Contains(commits[0], w.expand(t, want.subject))) {
		t.Errorf("%s: newest commit subject %q lacks %q", when, commits, want.subject)
	}
	for _, p := range sortedKeys(want.files) {
		content, ok := w.file(t, p)
		if wantContent := w.expand(t, want.files[p]); !ok || content != wantContent {
			t.Errorf("%s: %s (present %v):\n%s\nwant:\n%s", when, p, ok, content, wantContent)
		}
	}
	for _, p := range want.absent {
		if content, ok := w.file(t, p); ok {
			t.Errorf("%s: %s exists:\n%s", when, p, content)
		}
	}
	for _, s := range want.logs {
		if !strings.Contains(log, w.expand(t, s)) {
			t.Errorf("%s: the log lacks %q:\n%s", when, w.expand(t, s), log)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// annotations returns app's annotations, prefixed and expanded, with the
// mode's write-back method unless the scenario sets one.
func annotations(t *testing.T, w *world, app application) map[string]string {
	t.Helper()
	if app.annotations == nil {
		return nil
	}
	out := map[string]string{target.AnnotationPrefix + "write-back-method": w.writeBack}
	for k, v := range app.annotations {
		out[target.AnnotationPrefix+k] = w.expand(t, v)
	}
	return out
}

// imageUpdaters returns the scenario's ImageUpdaters in the mode's
// namespace, in name order.
func imageUpdaters(w *world, sc *scenario) []*v1alpha1.ImageUpdater {
	var out []*v1alpha1.ImageUpdater
	for _, n := range sortedKeys(sc.updaters) {
		out = append(out, &v1alpha1.ImageUpdater{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "ImageUpdater"},
			ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: n},
			Spec:       sc.updaters[n](w),
		})
	}
	return out
}

// repoDriver runs repo mode through the CLI, as users do:
// `imagepilot run --repo URL --once` with the registry's credentials from
// registries.conf and the repository's from the flags. The Applications
// and the ImageUpdater are manifests in the repository.
type repoDriver struct {
	confPath, cacheDir string
}

func (r *repoDriver) prepare(t *testing.T, w *world, sc *scenario, files map[string]string) {
	t.Helper()
	for _, app := range sc.apps {
		manifest := argocd.Application{
			TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Application"},
			ObjectMeta: metav1.ObjectMeta{Name: app.name, Namespace: w.ns, Annotations: annotations(t, w, app), Labels: app.labels},
			Spec: argocd.ApplicationSpec{Project: "default", Source: app.applicationSource(w),
				Destination: argocd.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "apps"}},
		}
		files["apps/"+app.name+".yaml"] = marshal(t, manifest)
	}
	for _, iu := range imageUpdaters(w, sc) {
		files["apps/updater-"+iu.Name+".yaml"] = marshal(t, iu)
	}
	r.confPath = filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(r.confPath, []byte(w.conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r.cacheDir = t.TempDir()
}

// marshal renders a manifest as YAML without the status and creation
// timestamp fields a typed object always has.
func marshal(t *testing.T, obj any) string {
	t.Helper()
	data, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func (r *repoDriver) start(t *testing.T, w *world, sc *scenario) {
	t.Helper()
	if sc.hold == nil {
		return
	}
	code, out, stderr := r.imagepilot(t, w, "hold", "--application", w.ns+"/"+sc.hold.app, "--image", sc.hold.image, "--reason", "freeze", "--by", "test")
	if code != 0 {
		t.Fatalf("hold exit %d\n%s\n%s", code, out, stderr)
	}
}

func (r *repoDriver) cycle(t *testing.T, w *world, sc *scenario) string {
	t.Helper()
	code, out, stderr := r.imagepilot(t, w, "run", "--once")
	log := out + stderr
	// The exit code says whether the cycle had errors.
	if c := parseCounts(t, log); (c.errors > 0) != (code != 0) {
		t.Fatalf("run --once exit %d with %d errors\n%s", code, c.errors, log)
	}
	return log
}

// synced does nothing: repo mode reads the deployed versions from the
// repository itself.
func (r *repoDriver) synced(*testing.T, *world, *scenario, string) {}

func (r *repoDriver) imagepilot(t *testing.T, w *world, args ...string) (int, string, string) {
	t.Helper()
	args = append(args, "--repo", w.repoURL, "--registries-conf-path", r.confPath,
		"--git-username", "git", "--git-password-env", "SCENARIO_GIT_PASSWORD", "--git-cache-dir", r.cacheDir,
		"--git-commit-user", commitUser, "--git-commit-email", commitEmail, "--loglevel", "debug")
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// controllerDriver runs the controller's engine against the real
// kube-apiserver. The Applications are objects in a fresh namespace, with
// the scenario's annotations, source type and the images Argo CD reports
// running (status.summary.images); git write-back goes to the same kind of
// repository with credentials from a Secret (write-back-method
// git:secret:). A scenario with an ImageUpdater creates it there and runs
// Engine.RunOnce (every ImageUpdater of the cluster: scenarios run one at a
// time and delete theirs); an annotation-only scenario runs the legacy
// selection (Engine.RunLegacy), the controller's path for annotated
// Applications. Between cycles it plays Argo CD: each image a cycle
// updated is reported running at its new version, as after a sync.
type controllerDriver struct {
	kube   *infra.KubeEnv
	engine *controller.Engine
	legacy *controller.Legacy
	logs   *infra.SyncBuffer
	seen   int
	// clock is the engine's time (Unix nanoseconds): each cycle starts one
	// interval after the previous, as the controller's loop runs them, so
	// each plans with a fresh registry cycle.
	clock atomic.Int64
}

func (c *controllerDriver) prepare(*testing.T, *world, *scenario, map[string]string) {}

func (c *controllerDriver) start(t *testing.T, w *world, sc *scenario) {
	t.Helper()
	ctx := context.Background()
	cl := c.kube.Client
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "git-creds"}, StringData: map[string]string{"username": "git", "password": "gitpw"}}
	if err := cl.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	for _, app := range sc.apps {
		var live []string
		for _, img := range app.live {
			live = append(live, w.expand(t, img))
		}
		obj := infra.KubeApplication(w.ns, app.name, *app.applicationSource(w), app.sourceType(), live...)
		obj.Annotations, obj.Labels = annotations(t, w, app), app.labels
		if err := c.kube.CreateApplication(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, iu := range imageUpdaters(w, sc) {
		if err := cl.Create(ctx, iu); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := cl.Delete(context.Background(), iu); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting ImageUpdater: %v", err)
			}
		})
	}
	conf, err := registryconf.Parse([]byte(w.conf))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := registry.New(registry.WithResolver(func(host, repo string) registryconf.Registry { return conf.Lookup(host, repo) }))
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()), git.WithAuthor(commitUser, commitEmail))
	if err != nil {
		t.Fatal(err)
	}
	c.logs = &infra.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.engine = &controller.Engine{
		Client:          cl,
		Resolver:        access.NewResolver(conf, kube.SecretGetter{Reader: cl}),
		Registry:        rc,
		ArgoCD:          &writeback.ArgoCDWriter{Client: cl, Logger: logger},
		Git:             &writeback.GitWriter{Git: mgr, Credentials: &kube.GitCredentials{Reader: cl, Namespace: w.ns}, Layout: writeback.Layout{ControllerNamespace: w.ns}},
		Interval:        time.Minute,
		WatchNamespaces: []string{w.ns},
		Logger:          logger,
		Now:             func() time.Time { return time.Unix(0, c.clock.Load()) },
	}
	c.clock.Store(time.Now().UnixNano())
	if c.legacy, err = controller.NewLegacy(nil, ""); err != nil {
		t.Fatal(err)
	}
	if sc.hold != nil {
		if _, err := c.engine.Holds(c.legacy).Hold(ctx, holds.Hold{Application: w.ns + "/" + sc.hold.app, Image: sc.hold.image, Reason: "freeze", By: "test"}); err != nil {
			t.Fatalf("hold: %v", err)
		}
	}
}

func (c *controllerDriver) cycle(t *testing.T, w *world, sc *scenario) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c.clock.Add(int64(c.engine.Interval))
	if len(sc.updaters) > 0 {
		if err := c.engine.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
	} else if _, err := c.engine.RunLegacy(ctx, c.legacy); err != nil {
		t.Fatalf("RunLegacy: %v", err)
	}
	all := c.logs.String()
	log := all[c.seen:]
	c.seen = len(all)
	return log
}

// updatedLine is the controller's log line for an image it updates.
var updatedLine = regexp.MustCompile(`Successfully updated image '([^']*)' to '([^']*)'.*? application=(\S+)`)

// synced reports every image the cycle updated as running at its new
// version, as Argo CD does once it has synced the commit.
func (c *controllerDriver) synced(t *testing.T, w *world, sc *scenario, log string) {
	t.Helper()
	ctx := context.Background()
	for _, m := range updatedLine.FindAllStringSubmatch(log, -1) {
		ns, appName, _ := strings.Cut(m[3], "/")
		var app argocd.Application
		if err := c.kube.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: appName}, &app); err != nil {
			t.Fatal(err)
		}
		newSpec, err := imagespec.Parse(m[2])
		if err != nil {
			t.Fatalf("updated image %q: %v", m[2], err)
		}
		i := slices.IndexFunc(app.Status.Summary.Images, func(img string) bool {
			s, err := imagespec.Parse(img)
			return err == nil && s.SameImage(newSpec)
		})
		if i < 0 { // force-update wrote an image the application did not run: now it does
			app.Status.Summary.Images = append(app.Status.Summary.Images, m[2])
		} else {
			app.Status.Summary.Images[i] = m[2]
		}
		if err := c.kube.Client.Update(ctx, &app); err != nil {
			t.Fatal(err)
		}
	}
}
