package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/imagepilot/imagepilot/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run one update cycle on a built-in registry and Git repository (offline)",
		Long: `demo starts an in-process registry seeded with guestbook v1..v4 and redis
images, creates a Git repository laid out like the guestbook Helm chart with
an annotated Argo CD Application (write-back-method: git), runs one update
cycle through the same code as 'imagepilot run --repo', and prints the commit
and the resulting .argocd-source-guestbook.yaml. No cluster, no network.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			p, err := demo.Start(ctx)
			if err != nil {
				return withCode(ExitFailedCycle, fmt.Errorf("starting the demo: %w", err))
			}
			if !keep {
				defer p.Close()
			}
			fmt.Fprintf(out, "registry:   http://%s (guestbook v1..v4, redis 6.0.5/6.2.14/7.2.4)\nrepository: %s (deploys guestbook v1, redis 6.0.5)\n\n", p.Registry.Host, p.RepoPath)
			o := &repoOptions{}
			o.register(cmd.Flags(), newEnv())
			o.repo, o.confPath, o.loglevel = p.RepoPath, p.RegistriesConf, "warn"
			o.git.cacheDir = filepath.Join(p.Dir, "cache")
			o.git.messagePath = "" // the default template, whatever /app/config holds
			r, err := o.runner(cmd.ErrOrStderr(), false)
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			rep, err := r.RunOnce(ctx)
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			rep.WriteText(out, false)
			commit, err := p.LastCommit(ctx)
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			fmt.Fprintf(out, "\n--- the commit imagepilot pushed ---\n%s", commit)
			file, err := p.File(ctx, "helm/.argocd-source-guestbook.yaml")
			if err != nil {
				return withCode(ExitFailedCycle, err)
			}
			fmt.Fprintf(out, "\n--- helm/.argocd-source-guestbook.yaml ---\n%s", file)
			if keep {
				fmt.Fprintf(out, "\nkept %s (the registry stopped with this process)\n", p.Dir)
			}
			return withCode(ExitFailedCycle, rep.Err())
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary repository")
	return cmd
}
