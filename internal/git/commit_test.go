package git

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommitAndPushNoChangeMakesNoCommit(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	before := testGit(t, bare, "rev-parse", "main")
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m",
		Apply: setLine("values.yaml", "tag", "v1")})
	if err != nil || res.Pushed || res.Commit != before || res.Attempts != 1 {
		t.Fatalf("CommitAndPush = %+v, %v; want no push at %s", res, err, before)
	}
	if st := m.Stats(); st.Commits != 0 || st.Pushes != 0 {
		t.Fatalf("stats = %+v, want no commit or push", st)
	}
}

func TestCommitAndPushWritesAuthorAndSignOff(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t, WithAuthor("Pilot", "pilot@example.com"))
	r := openRepo(t, m, bare, Credentials{})
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main",
		Message: "build: update\n\nbody", SignOff: true, Apply: setLine("values.yaml", "tag", "v2")})
	if err != nil || !res.Pushed {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	msg := testGit(t, bare, "log", "-1", "--format=%an <%ae>|%cn|%B", "main")
	want := "Pilot <pilot@example.com>|Pilot|build: update\n\nbody\n\nSigned-off-by: Pilot <pilot@example.com>"
	if msg != want {
		t.Fatalf("commit = %q, want %q", msg, want)
	}
	if got := testGit(t, bare, "show", "main:values.yaml"); got != "tag: v2" {
		t.Fatalf("remote file = %q", got)
	}
}

func TestCommitAndPushReappliesAfterConcurrentPush(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n", "other.yaml": "x: 1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	calls := 0
	apply := func(dir string) (bool, error) {
		calls++
		if calls == 1 { // someone pushes between our fetch and our push
			humanPush(t, bare, "main", map[string]string{"other.yaml": "x: 2\n"})
		}
		return setLine("values.yaml", "tag", "v2")(dir)
	}
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Apply: apply})
	if err != nil || !res.Pushed || res.Attempts != 2 {
		t.Fatalf("CommitAndPush = %+v, %v; want pushed on attempt 2", res, err)
	}
	if got := testGit(t, bare, "show", "main:other.yaml"); got != "x: 2" {
		t.Fatalf("other writer's change lost: %q", got)
	}
	if got := testGit(t, bare, "show", "main:values.yaml"); got != "tag: v2" {
		t.Fatalf("our change missing: %q", got)
	}
	if st := m.Stats(); st.PushRejections != 1 || st.Pushes != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestCommitAndPushDoesNotClobberHumanEdit(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\nreplicas: 1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	calls := 0
	apply := func(dir string) (bool, error) {
		calls++
		if calls == 1 { // a human edits the same file meanwhile
			humanPush(t, bare, "main", map[string]string{"values.yaml": "tag: v1\nreplicas: 3\n"})
		}
		return setLine("values.yaml", "tag", "v2")(dir)
	}
	if _, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Apply: apply}); err != nil {
		t.Fatal(err)
	}
	if got := testGit(t, bare, "show", "main:values.yaml"); got != "tag: v2\nreplicas: 3" {
		t.Fatalf("values.yaml = %q, want both edits", got)
	}
}

func TestCommitAndPushGivesUpWithoutForcing(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t, WithPushAttempts(3))
	r := openRepo(t, m, bare, Credentials{})
	n := 0
	apply := func(dir string) (bool, error) {
		n++
		humanPush(t, bare, "main", map[string]string{"human.txt": strings.Repeat("x", n)})
		return setLine("values.yaml", "tag", "v2")(dir)
	}
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Apply: apply})
	if !errors.Is(err, ErrPushRejected) || res.Attempts != 3 || res.Pushed {
		t.Fatalf("CommitAndPush = %+v, %v; want ErrPushRejected after 3", res, err)
	}
	if got := testGit(t, bare, "show", "main:human.txt"); got != "xxx" {
		t.Fatalf("human commits overwritten: %q", got)
	}
}

func TestCommitAndPushForceRebuildsOwnedBranch(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	ctx := context.Background()
	req := CommitRequest{Branch: "write", Base: "main", AllowForce: true, Message: "m",
		Apply: setLine("values.yaml", "tag", "v2")}
	if _, err := r.CommitAndPush(ctx, req); err != nil {
		t.Fatal(err)
	}
	humanPush(t, bare, "main", map[string]string{"base.txt": "new base\n"})
	req.Apply = setLine("values.yaml", "tag", "v3")
	res, err := r.CommitAndPush(ctx, req)
	if err != nil || !res.Pushed {
		t.Fatalf("second push = %+v, %v", res, err)
	}
	if got := testGit(t, bare, "rev-list", "--count", "main..write"); got != "1" {
		t.Fatalf("write branch has %s commits over main, want 1 (rebuilt from base)", got)
	}
}

func TestCommitAndPushSignsWithSSHKey(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pilot", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	priv, _ := os.ReadFile(key)
	pub, _ := os.ReadFile(key + ".pub")
	allowed := filepath.Join(dir, "allowed")
	writeFiles(t, dir, map[string]string{"allowed": "pilot@example.com " + string(pub)})
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t, WithAuthor("Pilot", "pilot@example.com"))
	r := openRepo(t, m, bare, Credentials{})
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "signed",
		Signing: &SigningConfig{Format: SigningSSH, SSHPrivateKey: priv}, Apply: setLine("values.yaml", "tag", "v2")})
	if err != nil {
		t.Fatal(err)
	}
	testGit(t, bare, "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", res.Commit)
}
