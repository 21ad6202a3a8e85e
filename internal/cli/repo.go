package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/webhook"
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
	// cycleTimeout bounds the registry work of one cycle (0: no bound).
	cycleTimeout time.Duration
	loglevel     string
	logformat    string
	// quiet makes warn the default log level (commands whose output is a
	// report, not the log); IMAGE_UPDATER_LOGLEVEL and --loglevel still
	// win.
	quiet      bool
	cosignKeys []string
	cosignRefs []string
	keyless    keylessFlags
	// ops, when set (run --repo), receives the registry metrics and is
	// served with them (repo_ops.go).
	ops *repoOps
}

func (o *repoOptions) register(f *pflag.FlagSet, env *envSource) {
	f.StringVar(&o.repo, "repo", env.str("", "IMAGEPILOT_REPO"), "GitOps repository (URL or local path) to read Applications from and commit to")
	f.StringVar(&o.branch, "branch", env.str("", "IMAGEPILOT_BRANCH"), "branch to read Applications from (default: the repository's default branch)")
	f.StringVar(&o.appsPath, "apps-path", "", "directory of the repository holding Application manifests (default: all)")
	f.StringSliceVar(&o.sourceURLs, "source-url", nil, "other URLs Applications use for this repository (repeatable)")
	f.StringVar(&o.namespace, "argocd-namespace", env.str("", "ARGOCD_NAMESPACE", "IMAGE_UPDATER_ARGOCD_NAMESPACE"), "namespace of Argo CD (env ARGOCD_NAMESPACE; default: the controller's own namespace, argocd in repo mode)")
	f.IntVar(&o.concurrency, "max-concurrent-apps", env.number("max-concurrent-apps", "MAX_CONCURRENT_APPS", 10, 1, 100), "images checked at once (env MAX_CONCURRENT_APPS)")
	f.DurationVar(&o.cycleTimeout, "cycle-timeout", env.duration("cycle-timeout", "IMAGEPILOT_CYCLE_TIMEOUT", 10*time.Minute), "longest a cycle may spend asking registries; images not decided by then fail with \"cycle time limit reached\" and the rest are written (0: no limit; env IMAGEPILOT_CYCLE_TIMEOUT)")
	f.StringVar(&o.confPath, "registries-conf-path", env.str(defaultRegistriesConfPath, "IMAGE_UPDATER_REGISTRIES_CONF_PATH"), "path to registries.conf (a missing file at the default path means Docker Hub only)")
	logDefault := "info"
	if o.quiet {
		logDefault = "warn"
	}
	f.StringVar(&o.loglevel, "loglevel", env.str(logDefault, "IMAGE_UPDATER_LOGLEVEL"), "log level: debug, info, warn, error (env IMAGE_UPDATER_LOGLEVEL)")
	f.StringVar(&o.logformat, "logformat", env.str("text", "IMAGE_UPDATER_LOGFORMAT"), "log format: text or json (env IMAGE_UPDATER_LOGFORMAT)")
	f.StringArrayVar(&o.cosignKeys, "cosign-key", nil, "repo mode: PEM public key; only images with a cosign signature by one of the keys are deployed (repeatable)")
	o.keyless.register(f)
	f.StringArrayVar(&o.cosignRefs, "cosign-secret", nil, "repo mode: [NAMESPACE/]SECRET#KEY=FILE: the PEM public key file standing for the Secret an ImageUpdater's imagesVerification.cosignKey names (repeatable)")
	o.git.register(f, env)
}

// prepare checks the environment and flags after parsing; repoMode picks
// the default Argo CD namespace of repo mode.
func (o *repoOptions) prepare(f *pflag.FlagSet, env *envSource, repoMode bool) error {
	if err := env.check(f); err != nil {
		return withCode(ExitUsage, err)
	}
	if o.concurrency < 1 {
		return withCode(ExitUsage, fmt.Errorf("--max-concurrent-apps %d: want at least 1", o.concurrency))
	}
	if o.cycleTimeout < 0 {
		return withCode(ExitUsage, fmt.Errorf("--cycle-timeout %v: want 0 (no limit) or a positive duration", o.cycleTimeout))
	}
	if !repoMode && o.keyless.set() {
		return withCode(ExitUsage, fmt.Errorf("--cosign-identity, --cosign-issuer and --trusted-root apply to repo mode (--repo)"))
	}
	if !repoMode && len(o.cosignRefs) > 0 {
		return withCode(ExitUsage, fmt.Errorf("--cosign-secret applies to repo mode (--repo); in the cluster, the controller reads the Secret"))
	}
	if !repoMode && len(o.cosignKeys) > 0 {
		return withCode(ExitUsage, fmt.Errorf("--cosign-key applies to repo mode (--repo); in the cluster, ImageUpdater imagesVerification configures keys"))
	}
	if repoMode && o.namespace == "" {
		o.namespace = "argocd"
	}
	o.prepareConf(f, env)
	o.git.prepare(f, env)
	return nil
}

// runner builds the repo-mode runner.
func (o *repoOptions) runner(stderr io.Writer, dryRun bool) (*repomode.Runner, error) {
	if o.repo == "" {
		return nil, fmt.Errorf("--repo is required")
	}
	logOut, prog := logOutput(stderr, o.logformat)
	logger, err := newLogger(logOut, o.loglevel, o.logformat)
	if err != nil {
		return nil, err
	}
	verifier, err := signatureVerifier(o.cosignKeys, o.keyless)
	if err != nil {
		return nil, err
	}
	secretKeys, err := cosignSecretKeys(o.cosignRefs)
	if err != nil {
		return nil, err
	}
	var reg prometheus.Registerer = prometheus.NewRegistry()
	if o.ops != nil {
		reg = o.ops.registry
	}
	rc, err := o.clients(logger, reg, nil)
	if err != nil {
		return nil, err
	}
	if o.ops != nil {
		rc.metrics.Ops = o.ops.ops
	}
	mgr, err := o.git.manager(logger, 0) // full history: rollback detection reads it
	if err != nil {
		return nil, err
	}
	creds, err := o.git.credentials()
	if err != nil {
		return nil, err
	}
	// A password in --repo moves into the credentials: no message shows it.
	repoURL, creds := repomode.MoveUserinfo(o.repo, creds)
	w, err := o.git.writer(mgr, staticCredentials{creds}, logger, dryRun)
	if err != nil {
		return nil, err
	}
	w.Layout = writeback.NewLayout(o.namespace)
	w.PullRequests = rc.metrics
	return &repomode.Runner{
		RepoURL: repoURL, Branch: o.branch, AppsPath: o.appsPath, SourceURLs: o.sourceURLs,
		Credentials: creds, Git: mgr, Registry: rc.client, Resolver: rc.resolver, Writer: w,
		AuthorEmail: o.git.commitEmail, Concurrency: o.concurrency, PlanTimeout: o.cycleTimeout, Logger: logger, Verify: verifier,
		SecretKeys: secretKeys, Progress: prog,
	}, nil
}

func newPlanCmd() *cobra.Command {
	o := &repoOptions{quiet: true}
	env := newEnv()
	var output, application string
	cmd := &cobra.Command{
		Use:   "plan --repo REPO",
		Short: "Show what an update cycle would change, and why each image moves or stays",
		Long: `plan reads the repository like run does, asks the registries, and prints the
unified diff it would commit together with the reason for every image. It
changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.prepare(cmd.Flags(), env, true); err != nil {
				return err
			}
			if o.repo == "" {
				return withCode(ExitUsage, fmt.Errorf("plan needs --repo URL (or IMAGEPILOT_REPO): the GitOps repository to read"))
			}
			if err := checkOutput(output, outputFormats); err != nil {
				return err
			}
			r, err := o.runner(cmd.ErrOrStderr(), true)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			rep, err := runPlan(cmd.Context(), r, application)
			if err != nil {
				return err
			}
			if output != outputText {
				if err := writeStructured(cmd.OutOrStdout(), output, rep.Plan()); err != nil {
					return err
				}
			} else {
				rep.WriteText(cmd.OutOrStdout(), true)
			}
			if rep.Err() != nil {
				return withCode(ExitFailedCycle, errSilent)
			}
			return nil
		},
	}
	o.register(cmd.Flags(), env)
	addOutputFlag(cmd, &output, outputFormats)
	cmd.Flags().StringVar(&application, "application", "", "only this application (name, or namespace/name)")
	return cmd
}

func newRunCmd() *cobra.Command {
	o := &repoOptions{}
	env := newEnv()
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
			if err := o.prepare(cmd.Flags(), env, o.repo != ""); err != nil {
				return err
			}
			if o.repo == "" {
				ctrl.once, ctrl.dryRun, ctrl.interval = once, dryRun, interval
				ctrl.hooks, ctrl.api = &hooks, &apiF
				return runController(cmd.Context(), ctrl, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			ops, err := newRepoOps(cmd.Flags(), env, ctrl, once)
			if err != nil {
				return err
			}
			o.ops = ops
			r, err := o.runner(cmd.ErrOrStderr(), dryRun)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			stop, err := ops.serve(cmd.Context(), r.Logger, r, interval, once, dryRun)
			if err != nil {
				return err
			}
			defer stop()
			return runLoop(cmd.Context(), r, &hooks, &apiF, once, interval, cmd.OutOrStdout(), dryRun, ops.ops)
		},
	}
	f := cmd.Flags()
	hooks.register(f, env, 8082)
	apiF.register(f, env)
	registerControllerFlags(f, env, ctrl)
	f.BoolVar(&once, "once", false, "run one cycle and exit")
	f.BoolVar(&dryRun, "dry-run", false, "plan and print, but do not commit")
	f.DurationVar(&interval, "interval", env.duration("interval", "IMAGE_UPDATER_INTERVAL", 2*time.Minute), "time between cycles (env IMAGE_UPDATER_INTERVAL)")
	o.register(f, env)
	return cmd
}

func newWebhookCmd() *cobra.Command {
	o := &repoOptions{}
	env := newEnv()
	var hooks webhookFlags
	var apiF apiFlags
	var interval time.Duration
	ctrl := &controllerOptions{common: o}
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Serve registry webhooks only: each push re-checks the pushed repository",
		Long: `webhook runs only the registry webhook server (POST /webhook?type=TYPE):
each push re-checks the images of the pushed repository, nothing polls.

Without --repo it works in the cluster like Argo CD Image Updater's webhook
command: a push updates the Applications the ImageUpdater objects select
(and, with --legacy-annotations, the annotated ones), with status, Events and
write-back as the controller does them. With --repo it works on a GitOps
repository, as 'run --repo --enable-webhook' does (--interval adds polling).

HTTPS by default (--disable-tls for HTTP); secrets per type from the
--<type>-webhook-secret flags or DOCKER_WEBHOOK_SECRET, GHCR_WEBHOOK_SECRET,
QUAY_WEBHOOK_SECRET, HARBOR_WEBHOOK_SECRET, ACR_WEBHOOK_SECRET,
ALIYUN_ACR_WEBHOOK_SECRET, CLOUDEVENTS_WEBHOOK_SECRET, GITLAB_WEBHOOK_SECRET,
DISTRIBUTION_WEBHOOK_SECRET.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.prepare(cmd.Flags(), env, o.repo != ""); err != nil {
				return err
			}
			hooks.enabled = true
			if hooks.address() == "" {
				return withCode(ExitUsage, fmt.Errorf("webhook: --webhook-port 0 turns the only server off; give a port or --webhook-bind-address"))
			}
			if o.repo == "" {
				ctrl.hooks, ctrl.api = &hooks, &apiF
				return runClusterWebhook(cmd.Context(), ctrl, cmd.ErrOrStderr())
			}
			r, err := o.runner(cmd.ErrOrStderr(), false)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return runLoop(cmd.Context(), r, &hooks, &apiF, false, interval, cmd.OutOrStdout(), false, nil)
		},
	}
	f := cmd.Flags()
	hooks.register(f, env, 8080)
	apiF.register(f, env)
	registerClusterFlags(f, env, ctrl)
	f.DurationVar(&interval, "interval", 0, "with --repo: also poll at this interval (0 = webhooks only)")
	o.register(f, env)
	return cmd
}

// runLoop runs repo mode (internal/repomode.Loop) with the servers the
// flags turn on; once runs one cycle and builds no server.
// ops (may be nil) records every cycle and webhook event.
func runLoop(ctx context.Context, r *repomode.Runner, hooks *webhookFlags, apiF *apiFlags, once bool, interval time.Duration, out io.Writer, dryRun bool, ops *metrics.Ops) error {
	r.RecordTo(ops)
	l := &repomode.Loop{Runner: r, Lock: new(cycle.Lock), Once: once, Interval: interval}
	if dryRun {
		l.Report = func(rep repomode.Report) { rep.WriteText(out, true) }
	}
	if !once {
		servers, err := triggerServers(hooks, apiF, func() webhook.Sink { return r.WebhookSink(l.Lock) }, func() api.Backend { return r.Backend(l.Lock) }, r.Logger)
		if err != nil {
			return err
		}
		for _, s := range servers {
			l.Servers = append(l.Servers, repomode.Server(s))
		}
	}
	if err := l.Run(ctx); err != nil {
		if errors.Is(err, repomode.ErrCycleFailed) {
			return withCode(cycleExitCode(err), err)
		}
		return err
	}
	return nil
}

// staticCredentials gives the repository of repo mode its credentials.
type staticCredentials struct{ creds git.Credentials }

// GitCredentials returns the configured credentials.
func (s staticCredentials) GitCredentials(context.Context, string, string) (git.Credentials, error) {
	return s.creds, nil
}
