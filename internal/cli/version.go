package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X .../internal/cli.version=v1.2.3".
var version = "dev"

// commit is set at build time with -ldflags "-X .../internal/cli.commit=<sha>";
// when empty, the VCS revision the Go toolchain recorded is printed instead.
var commit = ""

func newVersionCmd() *cobra.Command {
	var short bool
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, outputFormats); err != nil {
				return err
			}
			if output != outputText {
				return writeStructured(cmd.OutOrStdout(), output, versionOutput())
			}
			if short {
				fmt.Fprintln(cmd.OutOrStdout(), version)
				return nil
			}
			rev := commit
			if info, ok := debug.ReadBuildInfo(); ok && rev == "" {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			if rev == "" {
				rev = "unknown"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imagepilot %s (commit %s, %s, %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "print only the version number")
	addOutputFlag(cmd, &output, outputFormats)
	return cmd
}
