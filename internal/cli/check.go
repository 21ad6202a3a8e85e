package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
)

type checkOptions struct {
	registryFlags
	strategy    string
	constraint  string
	allowTags   string
	ignoreTags  []string
	platforms   []string
	credentials string
	output      string
	verbose     bool
	loglevel    string
	kubeconfig  string
	cosignKeys  []string
	keyless     keylessFlags
}

// checkResult is the JSON output of check.
type checkResult struct {
	Image      string           `json:"image"`
	Registry   string           `json:"registry"`
	Repository string           `json:"repository"`
	Strategy   string           `json:"strategy"`
	Found      bool             `json:"found"`
	Tag        string           `json:"tag,omitempty"`
	Digest     string           `json:"digest,omitempty"`
	TagsListed int              `json:"tagsListed"`
	Verdicts   []policy.Verdict `json:"-"`
	// VerdictList is Verdicts in the JSON output (camelCase, as the rest).
	VerdictList []CheckVerdict `json:"verdicts,omitempty"`
	// Verified is set when --cosign-key asked for signed images.
	Verified bool `json:"verified,omitempty"`
}

func newCheckCmd() *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:     "check IMAGE",
		Aliases: []string{"test"},
		Short:   "Ask a registry which tag an image would be updated to (alias: test)",
		Long: `check lists the image's tags, applies the update strategy and filters, and
prints the tag (and digest) imagepilot would deploy. IMAGE is an image spec,
[alias=]image[:constraint]; --semver-constraint overrides the constraint.

Credentials of the forms secret:ns/name#key and pullsecret:ns/name (in
--credentials or registries.conf) are read from the cluster --kubeconfig
names.

Exit codes: 0 a tag was chosen, 1 no tag is eligible, 2 usage or
configuration error, 3 registry error.`,
		Example: `  imagepilot check nginx:~1.26
  imagepilot check ghcr.io/org/app --update-strategy newest-build --platforms linux/amd64 -v
  imagepilot check registry.example.com/team/app --credentials env:REGISTRY_CREDS --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withCode(ExitUsage, fmt.Errorf("%s takes one image, e.g. `imagepilot %s nginx:~1.26` (got %d arguments)", cmd.CalledAs(), cmd.CalledAs(), len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.strategy, "update-strategy", "semver", "semver, newest-build (latest), alphabetical (name) or digest")
	f.StringVar(&o.constraint, "semver-constraint", "", "semver constraint, or the tag to follow for digest (overrides the spec's)")
	f.StringVar(&o.allowTags, "allow-tags", "", `only consider tags matching "regexp:<re>" ("any" = all)`)
	f.StringArrayVar(&o.ignoreTags, "ignore-tags", nil, "glob of tags to ignore (repeatable)")
	f.StringSliceVar(&o.platforms, "platforms", nil, "os/arch[/variant] platforms for newest-build and digest (comma-separated)")
	f.StringVar(&o.credentials, "credentials", "", "registry credentials: env:VAR, ext:/path/script or user:password")
	f.StringVar(&o.confPath, "registries-conf-path", "", "path to registries.conf")
	f.Float64Var(&o.rateLimit, "rate-limit", 0, "maximum requests per second to the registry (0 = registries.conf or unlimited)")
	f.StringVarP(&o.output, "output", "o", "text", "text or json")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show every tag seen and why each candidate lost")
	f.StringVar(&o.loglevel, "loglevel", "warn", "log level")
	f.StringArrayVar(&o.cosignKeys, "cosign-key", nil, "PEM public key; only tags whose image a cosign signature by one of the keys covers are eligible (repeatable)")
	o.keyless.register(f)
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster holding the Secrets that secret: and pullsecret: credentials name")
	return cmd
}

func (o *checkOptions) run(ctx context.Context, image string, stdout, stderr io.Writer) error {
	if o.output != "text" && o.output != "json" {
		return withCode(ExitUsage, fmt.Errorf("--output %q: want text or json", o.output))
	}
	logger, err := newLogger(stderr, o.loglevel, "text")
	if err != nil {
		return withCode(ExitUsage, err)
	}
	spec, err := imagespec.Parse(image)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	settings := policy.Settings{Strategy: o.strategy, Constraint: spec.Constraint, AllowTags: o.allowTags, IgnoreTags: o.ignoreTags, Platforms: o.platforms}
	if o.constraint != "" {
		settings.Constraint = o.constraint
	}
	if settings.Verify, err = signatureVerifier(o.cosignKeys, o.keyless); err != nil {
		return withCode(ExitUsage, err)
	}
	pol, err := policy.Compile(settings)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	secrets, err := o.secrets()
	if err != nil {
		return withCode(ExitUsage, err)
	}
	rc, err := o.clients(logger, prometheus.NewRegistry(), secrets)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	res, err := o.choose(ctx, rc.resolver, rc.client, spec, pol, secrets)
	if err != nil {
		return err
	}
	if err := o.print(stdout, res); err != nil {
		return withCode(ExitUsage, err)
	}
	if !res.Found {
		return withCode(ExitNotFound, errSilent)
	}
	return nil
}

// secrets reads Kubernetes Secrets from the --kubeconfig cluster (nil
// without one: secret: and pullsecret: references then fail).
func (o *checkOptions) secrets() (credentials.SecretGetter, error) {
	if o.kubeconfig == "" {
		return nil, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: o.kubeconfig}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig: %w", err)
	}
	return kube.SecretGetter{Reader: c}, nil
}

func (o *checkOptions) choose(ctx context.Context, resolver *access.Resolver, client *registry.Client, spec imagespec.Spec, pol *policy.Policy, secrets credentials.SecretGetter) (checkResult, error) {
	repo, err := resolver.Repository(spec)
	if err != nil {
		return checkResult{}, withCode(ExitUsage, err)
	}
	auth, err := o.auth(ctx, resolver, spec, secrets)
	if err != nil {
		return checkResult{}, err
	}
	cycle := client.NewCycle()
	listing, err := cycle.Listing(ctx, repo, auth)
	if err != nil {
		return checkResult{}, withCode(ExitRegistry, err)
	}
	// Invalid names are offered only so that -v shows them as such; the
	// policy rules them out before any request.
	tags := append(slices.Clone(listing.Tags), listing.Invalid...)
	md := cycle.Metadata(repo, auth)
	r, err := pol.Choose(ctx, tags, md)
	if err != nil {
		return checkResult{}, registryOrConfig(err)
	}
	res := checkResult{Image: spec.Name, Registry: repo.RegistryStr(), Repository: repo.RepositoryStr(), Strategy: pol.Strategy(),
		Found: r.Found, Tag: r.Tag, Digest: r.Digest, TagsListed: len(tags), Verdicts: r.Verdicts, Verified: pol.Verifies()}
	if r.Found && res.Digest == "" {
		if res.Digest, err = md.Digest(ctx, r.Tag); err != nil {
			return checkResult{}, withCode(ExitRegistry, fmt.Errorf("digest of %s:%s: %w", spec.Name, r.Tag, err))
		}
	}
	return res, nil
}

func (o *checkOptions) auth(ctx context.Context, resolver *access.Resolver, spec imagespec.Spec, secrets credentials.SecretGetter) (authn.Authenticator, error) {
	if o.credentials == "" {
		auth, err := resolver.Auth(ctx, spec, "")
		if err != nil && secrets == nil {
			err = fmt.Errorf("%w (secret: and pullsecret: credentials need --kubeconfig)", err)
		}
		return auth, withCode(ExitUsage, err)
	}
	if secrets == nil && (strings.HasPrefix(o.credentials, "secret:") || strings.HasPrefix(o.credentials, "pullsecret:")) {
		return nil, withCode(ExitUsage, fmt.Errorf("--credentials %s reads a Kubernetes Secret: give --kubeconfig FILE of the cluster holding it", strings.SplitN(o.credentials, ":", 2)[0]+":..."))
	}
	opts := []credentials.Option{credentials.AllowPlain(), credentials.WithRegistryHost(spec.Registry)}
	if secrets != nil {
		opts = append(opts, credentials.WithSecretGetter(secrets))
	}
	src, err := credentials.ParseRef(o.credentials, opts...)
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("--credentials: %w", err))
	}
	cfg, err := src.Resolve(ctx)
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("--credentials: %w", err))
	}
	return authn.FromConfig(cfg), nil
}

func registryOrConfig(err error) error {
	if errors.Is(err, policy.ErrInvalidSettings) {
		return withCode(ExitUsage, err)
	}
	return withCode(ExitRegistry, err)
}

func (o *checkOptions) print(w io.Writer, res checkResult) error {
	if o.output == "json" {
		if o.verbose {
			res.VerdictList = checkVerdicts(res.Verdicts)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if o.verbose {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		printVerdicts(tw, res)
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%d tags listed for %s/%s, strategy %s\n", res.TagsListed, res.Registry, res.Repository, res.Strategy)
	}
	if !res.Found {
		fmt.Fprintf(w, "no eligible tag for %s (%d tags listed)\n", res.Image, res.TagsListed)
		return nil
	}
	fmt.Fprintf(w, "%s:%s\n%s\n", res.Image, res.Tag, res.Digest)
	return nil
}

// displayTag prints a listed name; one that is not a valid tag is quoted
// (ASCII only), so control characters cannot reach the terminal.
func displayTag(v policy.Verdict) string {
	if policy.ValidTag(v.Tag) {
		return v.Tag
	}
	return strconv.QuoteToASCII(v.Tag)
}
