package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// repoOptions are the settings of repo mode (run --repo, plan).
type repoOptions struct {
	registryFlags
	git         gitFlags
	repo        string
	branch      string
	appsPath    string
	sourceURLs  []string
	namespace   string
	concurrency int
	loglevel    string
	logformat   string
}

func (o *repoOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.repo, "repo", envOr("IMAGEPILOT_REPO", ""), "GitOps repository (URL or local path) to read Applications from and commit to")
	f.StringVar(&o.branch, "branch", envOr("IMAGEPILOT_BRANCH", ""), "branch to read Applications from (default: the repository's default branch)")
	f.StringVar(&o.appsPath, "apps-path", "", "directory of the repository holding Application manifests (default: all)")
	f.StringSliceVar(&o.sourceURLs, "source-url", nil, "other URLs Applications use for this repository (repeatable)")
	f.StringVar(&o.namespace, "argocd-namespace", envOr("IMAGE_UPDATER_ARGOCD_NAMESPACE", "argocd"), "namespace of Argo CD (names .argocd-source-<ns>_<app>.yaml for apps elsewhere)")
	f.IntVar(&o.concurrency, "max-concurrent-apps", 10, "images checked at once")
	f.StringVar(&o.confPath, "registries-conf-path", envOr("IMAGE_UPDATER_REGISTRIES_CONF_PATH", ""), "path to registries.conf")
	f.StringVar(&o.loglevel, "loglevel", envOr("IMAGE_UPDATER_LOGLEVEL", "info"), "log level: debug, info, warn, error")
	f.StringVar(&o.logformat, "logformat", envOr("IMAGE_UPDATER_LOGFORMAT", "text"), "log format: text or json")
	o.git.register(f)
}

// runner builds the repo-mode runner.
func (o *repoOptions) runner(stderr io.Writer, dryRun bool) (*repomode.Runner, error) {
	if o.repo == "" {
		return nil, fmt.Errorf("--repo is required")
	}
	logger, err := newLogger(stderr, o.loglevel, o.logformat)
	if err != nil {
		return nil, err
	}
	rc, err := o.clients(logger, prometheus.NewRegistry(), nil)
	if err != nil {
		return nil, err
	}
	mgr, err := o.git.manager(logger, 0) // full history: rollback detection reads it
	if err != nil {
		return nil, err
	}
	creds, err := o.git.credentials()
	if err != nil {
		return nil, err
	}
	w, err := o.git.writer(mgr, staticCredentials{creds}, logger, dryRun)
	if err != nil {
		return nil, err
	}
	w.Layout = writeback.NewLayout(o.namespace)
	return &repomode.Runner{
		RepoURL: o.repo, Branch: o.branch, AppsPath: o.appsPath, SourceURLs: o.sourceURLs,
		Credentials: creds, Git: mgr, Registry: rc.client, Resolver: rc.resolver, Writer: w,
		AuthorEmail: o.git.commitEmail, Concurrency: o.concurrency, Logger: logger,
	}, nil
}

func newPlanCmd() *cobra.Command {
	o := &repoOptions{}
	cmd := &cobra.Command{
		Use:   "plan --repo REPO",
		Short: "Show what an update cycle would change, and why each image moves or stays",
		Long: `plan reads the repository like run does, asks the registries, and prints the
unified diff it would commit together with the reason for every image. It
changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.runner(cmd.ErrOrStderr(), true)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			rep, err := r.RunOnce(cmd.Context())
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			printReport(cmd.OutOrStdout(), rep, true)
			if rep.Err() != nil {
				return withCode(ExitFailedCycle, errSilent)
			}
			return nil
		},
	}
	o.register(cmd.Flags())
	setFlagDefault(cmd, "loglevel", "warn") // plan's output is the report, not the log
	return cmd
}

func newRunCmd() *cobra.Command {
	o := &repoOptions{}
	var once, dryRun bool
	var interval time.Duration
	var hooks webhookFlags
	var apiF apiFlags
	ctrl := &controllerOptions{common: o}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run update cycles: on a GitOps repository (--repo) or as a controller",
		Long: `run keeps images up to date.

With --repo it works on a GitOps repository without a cluster: it reads the
Argo CD Application (and ImageUpdater) manifests in it, checks the registries,
and commits the changes (one commit per branch and cycle).

Without --repo it is the in-cluster controller: it reconciles ImageUpdater
objects (and, with --legacy-annotations, every Application carrying the
image-list annotation), writes back into the Application or to Git, and keeps
status, Events and metrics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.repo == "" {
				ctrl.once, ctrl.dryRun, ctrl.interval = once, dryRun, interval
				ctrl.hooks, ctrl.api = &hooks, &apiF
				return runController(cmd.Context(), ctrl, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			r, err := o.runner(cmd.ErrOrStderr(), dryRun)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return runLoop(cmd.Context(), r, &hooks, &apiF, once, interval, cmd.OutOrStdout(), dryRun)
		},
	}
	f := cmd.Flags()
	hooks.register(f)
	apiF.register(f)
	registerControllerFlags(f, ctrl)
	f.BoolVar(&once, "once", false, "run one cycle and exit")
	f.BoolVar(&dryRun, "dry-run", false, "plan and print, but do not commit")
	f.DurationVar(&interval, "interval", envDuration("IMAGE_UPDATER_INTERVAL", 2*time.Minute), "time between cycles")
	o.register(f)
	return cmd
}

// setFlagDefault changes a registered flag's default (and current value).
func setFlagDefault(cmd *cobra.Command, name, value string) {
	f := cmd.Flags().Lookup(name)
	if f == nil || f.Changed {
		return
	}
	f.DefValue = value
	_ = f.Value.Set(value)
}

func newWebhookCmd() *cobra.Command {
	o := &repoOptions{}
	var hooks webhookFlags
	var apiF apiFlags
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "webhook --repo REPO",
		Short: "Serve registry webhooks only: each push re-checks the pushed repository",
		Long: `webhook runs the registry webhook server (POST /webhook?type=TYPE on
--webhook-port) for a GitOps repository, as 'run --enable-webhook' does, but
without polling unless --interval is set. Secrets come from the environment:
DOCKER_WEBHOOK_SECRET, GHCR_WEBHOOK_SECRET, QUAY_WEBHOOK_SECRET,
HARBOR_WEBHOOK_SECRET, ACR_WEBHOOK_SECRET, ALIYUN_ACR_WEBHOOK_SECRET,
CLOUDEVENTS_WEBHOOK_SECRET, GITLAB_WEBHOOK_SECRET, DISTRIBUTION_WEBHOOK_SECRET.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := o.runner(cmd.ErrOrStderr(), false)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			hooks.enabled = true
			return runLoop(cmd.Context(), r, &hooks, &apiF, false, interval, cmd.OutOrStdout(), false)
		},
	}
	f := cmd.Flags()
	hooks.register(f)
	apiF.register(f)
	f.DurationVar(&interval, "interval", 0, "also poll at this interval (0 = webhooks only)")
	o.register(f)
	return cmd
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(envOr(key, "")); err == nil {
		return d
	}
	return def
}

// runLoop runs cycles until ctx ends (or once), serving webhooks and the
// trigger API when asked.
func runLoop(ctx context.Context, r *repomode.Runner, hooks *webhookFlags, apiF *apiFlags, once bool, interval time.Duration, out io.Writer, dryRun bool) error {
	var cycleMu sync.Mutex
	if hooks.enabled && !once {
		stop, err := serveWebhooks(ctx, hooks, r, &cycleMu)
		if err != nil {
			return withCode(ExitUsage, err)
		}
		defer stop()
	}
	if !once {
		stop, err := serveAPI(ctx, apiF, repoBackend{r: r, mu: &cycleMu}, r)
		if err != nil {
			return withCode(ExitUsage, err)
		}
		defer stop()
	}
	return loop(ctx, r, &cycleMu, once, interval, out, dryRun)
}

// loop runs cycles until ctx ends (or once). interval 0 polls never (after
// the first cycle), leaving updates to webhooks.
func loop(ctx context.Context, r *repomode.Runner, cycleMu *sync.Mutex, once bool, interval time.Duration, out io.Writer, dryRun bool) error {
	var timer <-chan time.Time
	for {
		cycleMu.Lock()
		rep, err := r.RunOnce(ctx)
		cycleMu.Unlock()
		if err != nil {
			if once {
				return withCode(ExitFailedCycle, err)
			}
			r.Logger.ErrorContext(ctx, "update cycle failed", "error", err)
		} else if dryRun {
			printReport(out, rep, true)
		}
		if once {
			if rep.Err() != nil {
				return withCode(ExitFailedCycle, fmt.Errorf("the cycle had errors (see the log)"))
			}
			return nil
		}
		if interval > 0 {
			timer = time.After(interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer:
		}
	}
}

// printReport prints decisions with reasons, and diffs when asked.
func printReport(w io.Writer, rep repomode.Report, diffs bool) {
	fmt.Fprintf(w, "Branch %s: %d application(s), %d image(s)\n", rep.Branch, rep.Applications, len(rep.Decisions))
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  problem: %v\n", p)
	}
	for _, d := range rep.Decisions {
		fmt.Fprintf(w, "  %-6s %s %s: %s\n", strings.ToUpper(string(d.Action)), d.Target.App, d.Target.Image.Key(), d.Reason)
	}
	for _, g := range rep.Groups {
		switch {
		case g.Err != nil:
			fmt.Fprintf(w, "\n%s (%s): FAILED: %v\n", g.RepoURL, g.Branch, g.Err)
		case g.Commit != "":
			fmt.Fprintf(w, "\n%s (%s): committed %s (%d push attempt(s))\n", g.RepoURL, g.Branch, shortSHA(g.Commit), g.Attempts)
		default:
			fmt.Fprintf(w, "\n%s (%s): would change:\n", g.RepoURL, g.Branch)
		}
		for _, c := range g.Conflicts {
			fmt.Fprintf(w, "  left alone (changed concurrently): %s %s\n", c.Target.App, c.Target.Image.Key())
		}
		if diffs && g.Diff != "" {
			fmt.Fprintf(w, "%s", g.Diff)
		}
	}
	updated, skipped, errored := rep.Counts()
	fmt.Fprintf(w, "\nimages: %d to update, %d skipped, %d errors\n", updated, skipped, errored)
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// staticCredentials gives the repository of repo mode its credentials.
type staticCredentials struct{ creds git.Credentials }

// GitCredentials returns the configured credentials.
func (s staticCredentials) GitCredentials(context.Context, string, string) (git.Credentials, error) {
	return s.creds, nil
}
