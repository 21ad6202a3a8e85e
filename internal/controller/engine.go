package controller

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/verify"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// EventSink records an Event (reason ImagesUpdated) on an Application.
type EventSink func(app *argocd.Application, message string)

// WarningSink records a Warning Event with the given reason on an
// Application.
type WarningSink func(app *argocd.Application, reason, message string)

// UpdaterWarningSink records a Warning Event with the given reason on an
// ImageUpdater.
type UpdaterWarningSink func(iu *v1alpha1.ImageUpdater, reason, message string)

// Engine runs update passes against the cluster. The manager's reconciler,
// --once and legacy mode all go through it.
type Engine struct {
	// Client reads ImageUpdaters and Applications and patches status.
	Client client.Client
	// Direct reads and patches without a cache: hold annotations and the
	// status written by triggered passes. Nil uses Client.
	Direct client.Client
	// Resolver maps images to registries and credentials.
	Resolver *access.Resolver
	// Registry is the long-lived registry client.
	Registry *registry.Client
	// ArgoCD writes argocd write-back; Git writes git write-back (nil:
	// such images fail with an error).
	ArgoCD *writeback.ArgoCDWriter
	Git    *writeback.GitWriter
	// Events records ImagesUpdated Events; nil records none.
	Events EventSink
	// Warnings records Warning Events on applications left alone because
	// of their configuration; nil records none.
	Warnings WarningSink
	// UpdaterWarnings records Warning Events on ImageUpdaters when a
	// problem's condition changes (Stalled, write-back or registry
	// failures); nil records none.
	UpdaterWarnings UpdaterWarningSink
	// Metrics is updated per ImageUpdater; nil records none.
	Metrics *metrics.Metrics
	// Interval is the time between passes; a registry cycle is shared for
	// one interval.
	Interval time.Duration
	// WatchNamespaces lists the namespaces whose Applications an
	// ImageUpdater may select; empty means its own; "*" means all.
	WatchNamespaces []string
	// CachedReads tells that Client serves lists from an informer cache
	// (the manager's): such lists are not paged. Otherwise Applications are
	// listed PageSize at a time.
	CachedReads bool
	// PageSize bounds the Applications per list request to the API server
	// (DefaultPageSize when zero).
	PageSize int64
	// Streamer, when set, reads those pages one Application at a time
	// (NewAppStreamer); without it each page is read whole.
	Streamer *AppStreamer
	// Concurrency bounds images checked at once.
	Concurrency int
	// PlanTimeout bounds the registry work of one pass (0: none); images
	// not decided in time fail and the others are written.
	PlanTimeout time.Duration
	// DryRun plans and logs without writing.
	DryRun bool
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Progress, when set, follows each pass's images as they are checked
	// (the progress line on a terminal's stderr).
	Progress updater.Progress
	// Secrets reads the cosign public keys ImageUpdaters name
	// (imagesVerification.cosignKey), in the ImageUpdater's namespace;
	// nil reads them through Direct, uncached.
	Secrets credentials.SecretGetter

	// verifiers keeps one Verifier per key set for the life of the
	// engine, so a known image digest is never verified twice.
	verifiers verify.Pool
	// unverified remembers the last unverified-tags warning per
	// application, so the Event is not repeated every pass.
	unverified warnMemo

	once   sync.Once
	cycles *cycles
	// passMu lets one pass (or hold change) run at a time: the reconciler,
	// the legacy loop, webhooks and the trigger API take turns.
	passMu cycle.Lock
}

// Outcome is the result of one pass over a set of applications: the
// cycle's Result and the conflicts of the selection.
type Outcome struct {
	cycle.Result
	// Conflicts name applications another ImageUpdater also selects.
	Conflicts []string
}

// direct returns the uncached client.
func (e *Engine) direct() client.Client {
	if e.Direct != nil {
		return e.Direct
	}
	return e.Client
}

func (e *Engine) init() {
	e.once.Do(func() {
		now := e.Now
		if now == nil {
			now = time.Now
		}
		e.Now = now
		e.cycles = &cycles{client: e.Registry, interval: e.interval(), now: now}
		if e.Logger == nil {
			e.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// DefaultInterval is the time between passes when Engine.Interval is not
// set.
const DefaultInterval = 2 * time.Minute

// interval returns the time between passes.
func (e *Engine) interval() time.Duration {
	if e.Interval <= 0 {
		return DefaultInterval
	}
	return e.Interval
}

// pass runs one update cycle over a selection: its targets with the
// deployed state of its applications, pinned by their holds annotations,
// planned against the interval's registry cycle, written (argocd and git
// write-back, Events as they land). report receives the result before the
// summary line (with attrs) is logged.
func (e *Engine) pass(ctx context.Context, sel selection, report cycle.ReporterFunc, attrs ...any) Outcome {
	e.init()
	c := &cycle.Cycle{
		Source:       clusterSource{sel},
		Registry:     e.cycles.view(e.Resolver),
		Writer:       cycle.WriterFunc(func(ctx context.Context, ds []updater.Decision) cycle.Writes { return e.write(ctx, ds, sel.apps) }),
		Concurrency:  e.Concurrency,
		PlanTimeout:  e.PlanTimeout,
		Logger:       e.Logger,
		SummaryAttrs: attrs,
		Progress:     e.Progress,
	}
	if report != nil {
		c.Reporter = report
	}
	res, _ := c.Run(ctx) // clusterSource never fails: the selection is read
	if e.Metrics != nil {
		e.Metrics.Ops.ObserveCycle(res.Observation(metrics.ModeController, time.Now(), nil))
	}
	return Outcome{Result: res}
}

// clusterSource is the controller's cycle.Source: a selection's targets,
// deployed where its Applications say, held by their annotations.
type clusterSource struct{ sel selection }

// Collect returns the selection's items; unreadable holds annotations are
// problems (and hold every image of their application).
func (s clusterSource) Collect(context.Context) (cycle.Collected, error) {
	items := make([]updater.Item, 0, len(s.sel.targets))
	for _, t := range s.sel.targets {
		dep := target.DeployedState(s.sel.apps[t.App], t)
		items = append(items, updater.Item{Target: t, Current: updater.Current{Tag: dep.Tag, Digest: dep.Digest, Live: dep.Live}})
	}
	pins, holdProblems := pinsOf(s.sel.apps)
	problems := append(slices.Clone(s.sel.problems), holdProblems...)
	return cycle.Collected{Applications: s.sel.matched, Items: items, Pins: pins, Problems: problems}, nil
}

// write applies a pass's decisions: the upstream log lines, argocd
// write-back (each application's Event as its patch lands), git write-back,
// then one Event per application written otherwise.
func (e *Engine) write(ctx context.Context, decisions []updater.Decision, apps map[target.AppRef]*argocd.Application) cycle.Writes {
	e.logPlanned(ctx, decisions)
	e.warnUnverified(ctx, decisions, apps)
	var w cycle.Writes
	var evented map[target.AppRef]bool
	if e.ArgoCD != nil {
		var written func(writeback.AppResult)
		written, evented = e.eventAsWritten(decisions, apps)
		w.ArgoCD = e.ArgoCD.ApplyEach(ctx, decisions, apps, written)
	}
	w.Git, w.Problems = e.applyGit(ctx, decisions)
	e.recordEvents(w.ArgoCD, w.Git, apps, evented)
	return w
}

// eventAsWritten returns a callback recording the Event of an application
// written only by argocd write-back as soon as its patch succeeds, so
// Events are sent while the other applications are patched instead of
// after all of them; and the set of applications it recorded (filled as
// it runs). Applications with git updates too get their one Event from
// recordEvents, after both.
func (e *Engine) eventAsWritten(decisions []updater.Decision, apps map[target.AppRef]*argocd.Application) (func(writeback.AppResult), map[target.AppRef]bool) {
	evented := map[target.AppRef]bool{}
	if e.Events == nil || e.DryRun {
		return nil, evented
	}
	var mu sync.Mutex // the writer calls back from several goroutines
	viaGit := map[target.AppRef]bool{}
	for _, d := range decisions {
		if d.Action == updater.ActionUpdate && d.Target.WriteBack.Method == target.MethodGit {
			viaGit[d.Target.App] = true
		}
	}
	return func(r writeback.AppResult) {
		if r.Err != nil || !r.Changed || viaGit[r.App] || apps[r.App] == nil {
			return
		}
		mu.Lock()
		evented[r.App] = true
		mu.Unlock()
		e.Events(apps[r.App], eventMessage(r.Applied))
	}, evented
}

func eventMessage(ds []updater.Decision) string {
	msg := fmt.Sprintf("Successfully updated %d image(s):", len(ds))
	for _, d := range ds {
		msg += fmt.Sprintf(" %s to %s;", d.Target.Image.Name, d.NewValue())
	}
	return msg
}

func (e *Engine) applyGit(ctx context.Context, decisions []updater.Decision) ([]writeback.GroupResult, []error) {
	if e.Git != nil {
		return e.Git.Apply(ctx, decisions), nil
	}
	var errs []error
	for _, d := range decisions {
		if d.Action == updater.ActionUpdate && d.Target.WriteBack.Method == target.MethodGit {
			errs = append(errs, fmt.Errorf("application %s image %s: git write-back is not configured", d.Target.App, d.Target.Image.Key()))
		}
	}
	return nil, errs
}

// logPlanned writes the log lines users of the upstream project grep for.
func (e *Engine) logPlanned(ctx context.Context, decisions []updater.Decision) {
	perApp := map[target.AppRef]int{}
	var order []target.AppRef
	for _, d := range decisions {
		if d.Action != updater.ActionUpdate {
			continue
		}
		old := d.Target.Image.Name + ":" + orUnknown(d.Current.Tag)
		e.Logger.InfoContext(ctx, fmt.Sprintf("Successfully updated image '%s' to '%s', but pending spec update (dry run=%t)", old, d.Target.Image.Name+":"+d.NewValue(), e.DryRun),
			"application", d.Target.App.String(), "alias", d.Target.Image.Alias)
		if perApp[d.Target.App] == 0 {
			order = append(order, d.Target.App)
		}
		perApp[d.Target.App]++
	}
	for _, app := range order {
		e.Logger.InfoContext(ctx, fmt.Sprintf("Committing %d parameter update(s) for application %s", perApp[app], app.Name), "application", app.String())
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// recordEvents emits one ImagesUpdated Event per application written,
// except those already recorded (done).
func (e *Engine) recordEvents(argo []writeback.AppResult, groups []writeback.GroupResult, apps map[target.AppRef]*argocd.Application, done map[target.AppRef]bool) {
	if e.Events == nil || e.DryRun {
		return
	}
	written := map[target.AppRef][]updater.Decision{}
	for _, r := range argo {
		if r.Err == nil && r.Changed {
			written[r.App] = append(written[r.App], r.Applied...)
		}
	}
	proposed := map[target.AppRef]string{}
	for _, g := range groups {
		if g.Err == nil && g.Pushed {
			for _, d := range g.Applied {
				written[d.Target.App] = append(written[d.Target.App], d)
				if g.PullRequest != nil && g.PullRequest.URL != "" {
					proposed[d.Target.App] = g.PullRequest.URL
				}
			}
		}
	}
	for ref, ds := range written {
		if app := apps[ref]; app != nil && !done[ref] {
			msg := eventMessage(ds)
			if u := proposed[ref]; u != "" {
				msg = fmt.Sprintf("Proposed %d image update(s) in pull request %s:%s", len(ds), u, strings.TrimPrefix(msg, fmt.Sprintf("Successfully updated %d image(s):", len(ds))))
			}
			e.Events(app, msg)
		}
	}
}
