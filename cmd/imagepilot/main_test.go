package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain runs main itself when the test binary is started as the
// command (IMAGEPILOT_RUN_MAIN=1), so the tests below see the real exit
// codes and output streams.
func TestMain(m *testing.M) {
	if os.Getenv("IMAGEPILOT_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestMainExitCodesAndStreams(t *testing.T) {
	for _, tc := range []struct {
		name        string
		args        []string
		code        int
		stdout      string
		stderr      string
		quietStdout bool
	}{
		{name: "version on stdout", args: []string{"version"}, code: 0, stdout: "imagepilot"},
		{name: "unknown command is a usage error", args: []string{"no-such-command"}, code: 2, stderr: "no-such-command", quietStdout: true},
		{name: "unknown flag is a usage error", args: []string{"version", "--no-such-flag"}, code: 2, stderr: "no-such-flag", quietStdout: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), "IMAGEPILOT_RUN_MAIN=1")
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", out.String(), tc.stdout, errOut.String(), tc.stderr)
			}
			if tc.quietStdout && out.Len() != 0 {
				t.Errorf("a usage error wrote to stdout: %q", out.String())
			}
		})
	}
}
