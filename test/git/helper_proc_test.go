package gitint

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/git"
)

// The test binary doubles as a separate imagepilot-like process: with
// helperEnv set, TestMain runs one helper mode instead of the tests. Each
// mode reads its settings from the environment (never from argv, so a
// password in the URL is not in the process list either).
const (
	helperEnv      = "IMAGEPILOT_GIT_TEST_HELPER"
	helperURLEnv   = "IMAGEPILOT_GIT_TEST_URL"
	helperCacheEnv = "IMAGEPILOT_GIT_TEST_CACHE"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(helperHold())
	case "cycles":
		os.Exit(helperCycles())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode")
		os.Exit(2)
	}
}

func helperManager() (*git.Manager, error) {
	return git.NewManager(git.WithCacheDir(os.Getenv(helperCacheEnv)), git.WithCommandTimeout(time.Minute),
		git.WithRetryBackoff(10*time.Millisecond), git.WithPushAttempts(20), git.WithAuthor("imagepilot", "imagepilot@example.com"))
}

// helperHold opens the repository, says "locked" and holds the working
// copy until its standard input closes.
func helperHold() int {
	m, err := helperManager()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := m.Open(context.Background(), os.Getenv(helperURLEnv), git.Credentials{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = r.Close()
	return 0
}

// helperCycles runs write-back cycles for ever (until killed), printing
// "pushed <sha>" after each push the package reports.
func helperCycles() int {
	m, err := helperManager()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		r, err := m.Open(ctx, os.Getenv(helperURLEnv), git.Credentials{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		res, err := r.CommitAndPush(ctx, git.CommitRequest{Branch: "main", Message: "helper",
			Apply: setKey("values.yaml", fmt.Sprintf("h%d-%d", os.Getpid(), i), "x")})
		_ = r.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if res.Pushed {
			fmt.Println("pushed " + res.Commit)
		}
	}
}

// helperProc is a running helper process.
type helperProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startHelper starts the test binary in mode with the given environment
// additions; its standard output lines arrive on lines.
func startHelper(t *testing.T, mode string, env ...string) *helperProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &helperProc{cmd: cmd, stdin: stdin, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("helper %s stderr: %s", mode, stderr.String())
		}
	})
	return p
}

// waitLine waits for the next output line of the helper.
func (p *helperProc) waitLine(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatal("helper exited without output")
		}
		return l
	case <-time.After(timeout):
		t.Fatalf("helper said nothing within %s", timeout)
	}
	return ""
}

// bgCtx is the context of test cycles run from goroutines.
func bgCtx() context.Context { return context.Background() }
