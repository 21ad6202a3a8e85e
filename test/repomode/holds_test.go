package repomode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestHoldPinsAndReleaseResumes(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2", "v3")

	code, out, stderr := e.imagepilot(t, "hold", "--application", "argocd/guestbook", "--image", "guestbook", "--version", "v2", "--reason", "incident 42", "--by", "alice")
	if code != 0 || !strings.Contains(out, "pinned at v2 by alice") {
		t.Fatalf("hold exit %d\n%s\n%s", code, out, stderr)
	}
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); got != overrideFile(e.reg.Host, "v2") {
		t.Fatalf("hold did not set v2:\n%s", got)
	}
	if holdsFile := e.file(t, ".imagepilot/holds.yaml"); !strings.Contains(holdsFile, "reason: incident 42") {
		t.Fatalf("holds file:\n%s", holdsFile)
	}
	if n := strings.Count(infra.GitRun(t, e.bare, "log", "--format=%s", "main"), "imagepilot: hold"); n != 1 {
		t.Fatalf("want one hold commit, got %d", n)
	}

	head := e.head(t)
	code, out, _ = e.imagepilot(t, "plan")
	if code != 0 || !strings.Contains(out, "held at v2: pinned at v2 by alice") {
		t.Fatalf("plan exit %d does not show the pin:\n%s", code, out)
	}
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 || e.head(t) != head {
		t.Fatalf("a pinned image moved (exit %d)\n%s\n%s", code, out, stderr)
	}
	if code, out, _ := e.imagepilot(t, "holds"); code != 0 || !strings.Contains(out, "argocd/guestbook") || !strings.Contains(out, "incident 42") {
		t.Fatalf("holds exit %d:\n%s", code, out)
	}
	if code, _, stderr := e.imagepilot(t, "hold", "--application", "argocd/nope", "--image", "guestbook"); code == 0 || !strings.Contains(stderr, "no such managed image") {
		t.Fatalf("hold of an unknown application: exit %d %s", code, stderr)
	}

	if code, out, stderr := e.imagepilot(t, "release", "--application", "argocd/guestbook", "--image", "guestbook"); code != 0 {
		t.Fatalf("release exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); got != overrideFile(e.reg.Host, "v3") {
		t.Fatalf("after release:\n%s", got)
	}
}

func TestBrokenHoldsFileStopsUpdates(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := chart(e, "")
		files[".imagepilot/holds.yaml"] = "holds:\n- application: argocd/guestbook\n  imgae: guestbook\n"
		return files
	})
	e.push(t, "team/guestbook", "v1", "v2")
	head := e.head(t)
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != cli.ExitFailedCycle || !strings.Contains(out+stderr, "imgae") || e.head(t) != head {
		t.Fatalf("exit %d, head moved %v\n%s\n%s", code, e.head(t) != head, out, stderr)
	}
}

func TestTriggerAPI(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1")
	port := infra.GitFreePort(t)
	t.Setenv("IMAGEPILOT_API_TOKEN", "s3cret-token")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut infra.SyncBuffer
	go func() {
		done <- cli.Execute(ctx, append([]string{"run", "--api-port", fmt.Sprint(port), "--interval", "0"}, e.flags()...), &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("imagepilot did not stop")
		}
	}()
	server := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, 60*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil && strings.Contains(errOut.String(), "Processing results")
	})

	req, _ := http.NewRequest(http.MethodGet, server+"/api/v1/holds", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %s", resp.Status)
	}

	// An unauthenticated slow body is answered and closed at once.
	slow, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /api/v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nAuthorization: Bearer wrong\r\n\r\n{")
	_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if answer, err := io.ReadAll(slow); err != nil || !strings.HasPrefix(string(answer), "HTTP/1.1 401") {
		t.Fatalf("slow unauthenticated body: %q %v (connection not closed at once?)", answer, err)
	}

	// A check of an application nobody manages is a 404.
	if code, o, stderr := e.imagepilotRaw(t, "trigger", "--server", server, "--application", "nope"); code == 0 || !strings.Contains(o+stderr, "404") {
		t.Fatalf("trigger of an unknown application: exit %d\n%s\n%s", code, o, stderr)
	}

	e.push(t, "team/guestbook", "v2")
	code, o, stderr := e.imagepilotRaw(t, "trigger", "--server", server, "--application", "guestbook")
	if code != 0 || !strings.Contains(o, "update argocd/guestbook guestbook: v1 -> v2") || !strings.Contains(o, "committed") {
		t.Fatalf("trigger exit %d\n%s\n%s\nserver log:\n%s", code, o, stderr, errOut.String())
	}
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); got != overrideFile(e.reg.Host, "v2") {
		t.Fatalf("trigger did not commit v2:\n%s", got)
	}
	body := strings.NewReader(`{"application":"guestbook","image":"guestbook","reason":"test"}`)
	req, _ = http.NewRequest(http.MethodPost, server+"/api/v1/holds", body)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var placed struct {
		Since time.Time `json:"since"`
	}
	err = json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || placed.Since.IsZero() || time.Since(placed.Since) > time.Minute {
		t.Fatalf("POST /api/v1/holds: %s, since %v, %v", resp.Status, placed.Since, err)
	}
	if hf := e.file(t, ".imagepilot/holds.yaml"); !strings.Contains(hf, placed.Since.UTC().Format(time.RFC3339)) {
		t.Fatalf("stored since differs from the answer %v:\n%s", placed.Since, hf)
	}
	if code, o, _ := e.imagepilotRaw(t, "holds", "--server", server); code != 0 || !strings.Contains(o, "guestbook") {
		t.Fatalf("holds via API exit %d:\n%s", code, o)
	}
}

// imagepilotRaw runs the CLI without the repo-mode flags.
func (e *env) imagepilotRaw(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}
