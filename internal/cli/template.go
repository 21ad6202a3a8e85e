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
--git-commit-message-path. The data has the shape a real commit gets:
.AppName, .AppNamespace, .Apps and .AppChanges (each with .App,
.AppNamespace, .Alias, .Image, .OldTag, .NewTag, .File and .Labels, the new
image's OCI labels from its image config; nil for an image without labels).`,
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

// sampleChanges are the changes a real commit of one application with two
// images would carry: the same struct, with values of the same form (a
// tag, a tag@digest for the digest strategy, the new image's OCI labels).
func sampleChanges() []writeback.Change {
	return []writeback.Change{
		{App: "guestbook", AppNamespace: "argocd", Alias: "guestbook", Image: "registry.example.com/team/guestbook",
			OldTag: "v3", NewTag: "v4", File: "helm/.argocd-source-guestbook.yaml",
			Labels: map[string]string{
				"org.opencontainers.image.revision": "3f1c2a9e0b7d4c5f8a6e1d2b9c0f7a4e5d6c3b2a",
				"org.opencontainers.image.source":   "https://github.com/example/guestbook",
			}},
		{App: "guestbook", AppNamespace: "argocd", Alias: "redis", Image: "registry.example.com/team/redis",
			OldTag: "7.2@sha256:01d09d19c2139a46aebfb577780d123d7396e97201bc7ead210a2ebff8239dee",
			NewTag: "7.2@sha256:7aa7a5359173d05b63cfd682e3c38487f3cb4f7f1d60659fe59fab1505977d4c",
			File:   "helm/.argocd-source-guestbook.yaml"},
	}
}
