package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/holds"
)

// backendOptions reach the work either directly (--repo) or through a
// running imagepilot's trigger API (--server).
type backendOptions struct {
	repoOptions
	server string
	env    *envSource
	flags  *pflag.FlagSet
}

func (b *backendOptions) register(f *pflag.FlagSet) {
	b.env, b.flags = newEnv(), f
	b.quiet = true // the output is the answer, not the log
	f.StringVar(&b.server, "server", envOr("IMAGEPILOT_SERVER", ""), "trigger API of a running imagepilot (token from IMAGEPILOT_API_TOKEN); instead of --repo")
	b.repoOptions.register(f, b.env)
}

func (b *backendOptions) backend(stderr io.Writer) (api.Backend, error) {
	if b.server != "" {
		token := envOr("IMAGEPILOT_API_TOKEN", "")
		if token == "" {
			return nil, fmt.Errorf("--server needs the API token in IMAGEPILOT_API_TOKEN")
		}
		return &api.Client{URL: b.server, Token: token}, nil
	}
	if err := b.prepare(b.flags, b.env, true); err != nil {
		return nil, err
	}
	if b.repo == "" {
		return nil, fmt.Errorf("give --repo (work on the repository directly) or --server (a running imagepilot)")
	}
	r, err := b.runner(stderr, false)
	if err != nil {
		return nil, err
	}
	return r.Backend(new(cycle.Lock)), nil
}

func newTriggerCmd() *cobra.Command {
	o := &backendOptions{}
	var req api.CheckRequest
	var asJSON bool
	var output string
	cmd := &cobra.Command{
		Use:   "trigger [--application APP] [--image IMAGE]",
		Short: "Check an application or an image now (from CI, or by hand)",
		Long: `trigger runs an update check now for one application, one image (alias or
name), or everything, and prints what moved and why. With --server it asks a
running imagepilot through its trigger API; with --repo it works on the
repository directly. Exit code 4 when the check had errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := o.backend(cmd.ErrOrStderr())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			res, err := b.Check(cmd.Context(), req)
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			if asJSON {
				fmt.Fprintln(cmd.ErrOrStderr(), "Flag --json has been deprecated, use -o json")
				output = outputJSON
			}
			if err := checkOutput(output, outputFormats); err != nil {
				return err
			}
			if output != outputText {
				if err := writeStructured(cmd.OutOrStdout(), output, res.Output()); err != nil {
					return err
				}
			} else {
				res.WriteText(cmd.OutOrStdout())
			}
			if res.Failed() {
				return withCode(ExitFailedCycle, errSilent)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Application, "application", "", "application (name or namespace/name); empty = all")
	f.StringVar(&req.Image, "image", "", "image alias or name; empty = all")
	f.BoolVar(&asJSON, "json", false, "print JSON (same as -o json)")
	// Hidden, and its notice printed by RunE: cobra prints a deprecated
	// flag's notice to the output writer, which would put it in the JSON.
	_ = f.MarkHidden("json")
	addOutputFlag(cmd, &output, outputFormats)
	o.register(f)
	return cmd
}

func newHoldCmd() *cobra.Command {
	o := &backendOptions{}
	var h holds.Hold
	cmd := &cobra.Command{
		Use:   "hold --application APP --image IMAGE [--version TAG]",
		Short: "Pin an image (optionally at a version) until it is released",
		Long: `hold stops imagepilot from moving an application's image. With --version
the image is also set to that tag (or tag@digest) in the same commit: the
escape hatch for a hot fix or a rollback. In repo mode holds live in the
repository (.imagepilot/holds.yaml), so they survive restarts and show in
'imagepilot plan'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := o.backend(cmd.ErrOrStderr())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if h.By == "" {
				h.By = envOr("USER", "")
			}
			h.Since = time.Now().UTC().Truncate(time.Second)
			if err := b.Hold(cmd.Context(), h); err != nil {
				return withCode(ExitFailedCycle, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "held %s %s: %s\n", h.Application, h.Image, h.Describe())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&h.Application, "application", "", "application (name or namespace/name)")
	f.StringVar(&h.Image, "image", "", "image alias or name")
	f.StringVar(&h.Version, "version", "", "tag (or tag@digest) to set and hold; empty holds the current one")
	f.StringVar(&h.Reason, "reason", "", "why (shown in plan output and status)")
	f.StringVar(&h.By, "by", "", "who holds it (default $USER)")
	o.register(f)
	return cmd
}

func newReleaseCmd() *cobra.Command {
	o := &backendOptions{}
	var app, image string
	cmd := &cobra.Command{
		Use:   "release --application APP --image IMAGE",
		Short: "Release a held image: updates resume with the next cycle",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := o.backend(cmd.ErrOrStderr())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := b.Release(cmd.Context(), app, image); err != nil {
				return withCode(ExitFailedCycle, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "released %s %s\n", app, image)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "application", "", "application (as in the hold)")
	f.StringVar(&image, "image", "", "image (as in the hold)")
	o.register(f)
	return cmd
}

func newHoldsCmd() *cobra.Command {
	o := &backendOptions{}
	var output string
	cmd := &cobra.Command{
		Use:   "holds",
		Short: "List held images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := o.backend(cmd.ErrOrStderr())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := checkOutput(output, outputFormats); err != nil {
				return err
			}
			set, err := b.Holds(cmd.Context())
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			if output != outputText {
				return writeStructured(cmd.OutOrStdout(), output, api.HoldList(set))
			}
			return api.WriteHoldsTable(cmd.OutOrStdout(), set)
		},
	}
	addOutputFlag(cmd, &output, outputFormats)
	o.register(cmd.Flags())
	return cmd
}
