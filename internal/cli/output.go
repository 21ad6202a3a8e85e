package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/repomode"
)

// Output formats of -o/--output.
const (
	outputText = "text"
	outputJSON = "json"
	outputYAML = "yaml"
)

// outputFormats are the formats plan, holds, trigger and version print.
var outputFormats = []string{outputText, outputJSON, outputYAML}

// outputSchema is the apiVersion of every structured output (documented in
// docs/configuration.md, "Structured output").
const outputSchema = api.OutputSchema

// addOutputFlag registers -o/--output on cmd with the given formats.
func addOutputFlag(cmd *cobra.Command, dst *string, formats []string) {
	cmd.Flags().StringVarP(dst, "output", "o", outputText, "output format: "+strings.Join(formats, ", "))
}

// checkOutput fails with a usage error unless format is one of formats.
func checkOutput(format string, formats []string) error {
	if !slices.Contains(formats, format) {
		return withCode(ExitUsage, fmt.Errorf("--output %q: want one of %s", format, strings.Join(formats, ", ")))
	}
	return nil
}

// writeStructured prints v as JSON (indented) or YAML with the JSON field
// names, so both formats have one schema.
func writeStructured(w io.Writer, format string, v any) error {
	switch format {
	case outputJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case outputYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("output format %q is not structured", format)
}

// PlanOutput is `plan -o json|yaml` (defined by repo mode).
type PlanOutput = repomode.PlanOutput

// PlanChange is one repository and branch a plan would write.
type PlanChange = repomode.PlanChange

// PlanSkippedFile is a file plan did not read, and why.
type PlanSkippedFile = repomode.PlanSkippedFile

// PlanSummary counts a plan's decisions by outcome.
type PlanSummary = repomode.PlanSummary

// HoldsOutput is `holds -o json|yaml` (defined by the trigger API).
type HoldsOutput = api.HoldsOutput

// TriggerOutput is `trigger -o json|yaml`: the trigger API's answer.
type TriggerOutput = api.TriggerOutput

// VersionOutput is `version -o json|yaml`.
type VersionOutput struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Version    string `json:"version"`
	Commit     string `json:"commit"`
	GoVersion  string `json:"goVersion"`
	Platform   string `json:"platform"`
}

func versionOutput() VersionOutput {
	return VersionOutput{APIVersion: outputSchema, Kind: "Version", Version: version, Commit: buildCommit(), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// CheckVerdict is one tag's verdict in `check -o json`, in the same
// camelCase as the rest of that output.
type CheckVerdict struct {
	Tag       string `json:"tag"`
	Eligible  bool   `json:"eligible"`
	Reason    string `json:"reason"`
	Signature string `json:"signature,omitempty"`
}

// checkVerdicts converts policy verdicts for check's JSON output.
func checkVerdicts(vs []policy.Verdict) []CheckVerdict {
	if vs == nil {
		return nil
	}
	out := make([]CheckVerdict, 0, len(vs))
	for _, v := range vs {
		out = append(out, CheckVerdict{Tag: v.Tag, Eligible: v.Eligible, Reason: v.Reason, Signature: v.Signature})
	}
	return out
}

// Values the enum flags take, for shell completion.
var flagValues = map[string][]string{
	"update-strategy": {policy.StrategySemver, policy.StrategyNewestBuild, "latest", policy.StrategyAlphabetical, "name", policy.StrategyDigest},
	"loglevel":        {"debug", "info", "warn", "error"},
	"logformat":       {"text", "json"},
}

// registerCompletions gives every enum flag of cmd and its subcommands
// shell completion of its values (output formats from the flag's usage).
func registerCompletions(cmd *cobra.Command) {
	for _, name := range []string{"update-strategy", "loglevel", "logformat", "output"} {
		f := cmd.Flags().Lookup(name)
		if f == nil {
			continue
		}
		values := flagValues[name]
		if name == "output" {
			values = outputFormatsOf(f.Usage)
		}
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	}
	for _, sub := range cmd.Commands() {
		registerCompletions(sub)
	}
}

// outputFormatsOf reads the formats an --output flag's usage lists.
func outputFormatsOf(usage string) []string {
	var out []string
	for _, f := range outputFormats {
		if strings.Contains(usage, f) {
			out = append(out, f)
		}
	}
	return out
}

// runPlan runs plan's cycle, over every application or only application.
// An application that manages no image here is a usage error saying so.
func runPlan(ctx context.Context, r *repomode.Runner, application string) (repomode.Report, error) {
	rep, err := r.RunApplication(ctx, application)
	if errors.Is(err, repomode.ErrNoSuchApplication) {
		return rep, withCode(ExitUsage, fmt.Errorf("--application %s: %w (name, or namespace/name, as in the Application manifest)", application, err))
	}
	if err != nil {
		return rep, withCode(cycleExitCode(err), err)
	}
	return rep, nil
}

// cycleExitCode is the exit code of a cycle that failed with err: a usage
// error when a flag named something the repository lacks (--apps-path),
// else ExitFailedCycle.
func cycleExitCode(err error) int {
	if errors.Is(err, repomode.ErrAppsPath) {
		return ExitUsage
	}
	return ExitFailedCycle
}
