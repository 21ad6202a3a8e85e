package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/imagepilot/imagepilot/internal/writeback"
)

func newTemplateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "template [PATH]",
		Short: "Render a commit message template with sample data",
		Long: `template renders the commit message template at PATH (or the default one)
with sample changes, so you can check it before using it with
--git-commit-message-path. Templates receive .AppName, .AppNamespace, .Apps
and .AppChanges (each with .App, .AppNamespace, .Alias, .Image, .OldTag,
.NewTag, .File, .Labels).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := ""
			if len(args) == 1 {
				data, err := os.ReadFile(args[0])
				if err != nil {
					return withCode(ExitUsage, err)
				}
				text = string(data)
			}
			tmpl, err := writeback.ParseCommitTemplate(text)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			msg, err := writeback.RenderCommit(tmpl, sampleChanges())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			fmt.Fprint(cmd.OutOrStdout(), msg)
			return nil
		},
	}
}

func sampleChanges() []writeback.Change {
	return []writeback.Change{
		{App: "guestbook", AppNamespace: "argocd", Alias: "guestbook", Image: "registry.example.com/team/guestbook", OldTag: "v3", NewTag: "v4", File: "helm/.argocd-source-guestbook.yaml", Labels: map[string]string{"team": "web"}},
		{App: "guestbook", AppNamespace: "argocd", Alias: "redis-master", Image: "registry.example.com/team/redis", OldTag: "7.2.4", NewTag: "7.2.5", File: "helm/.argocd-source-guestbook.yaml", Labels: map[string]string{"team": "web"}},
	}
}
