package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenClonesOnceThenFetches(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	ctx := context.Background()
	for i := range 3 {
		r := openRepo(t, m, bare, Credentials{})
		if err := r.Checkout(ctx, "main"); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		r.Close()
	}
	st := m.Stats()
	if st.Clones != 1 || st.Fetches != 3 {
		t.Fatalf("stats = %+v, want 1 clone and 3 fetches", st)
	}
}

func TestCheckoutDiscardsLocalState(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	ctx := context.Background()
	r := openRepo(t, m, bare, Credentials{})
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, r.Dir(), map[string]string{"a.txt": "garbage\n", "untracked.txt": "x"})
	humanPush(t, bare, "main", map[string]string{"a.txt": "two\n"})
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(r.Dir(), "a.txt"))
	if string(got) != "two\n" {
		t.Fatalf("a.txt = %q, want the remote content", got)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), "untracked.txt")); !os.IsNotExist(err) {
		t.Fatalf("untracked file survived checkout: %v", err)
	}
}

func TestCheckoutMissingBranch(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	r := openRepo(t, newTestManager(t), bare, Credentials{})
	err := r.Checkout(context.Background(), "nope")
	if !errors.Is(err, ErrBranchNotFound) {
		t.Fatalf("err = %v, want ErrBranchNotFound", err)
	}
}

func TestCheckoutNewCreatesFromBase(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	ctx := context.Background()
	r := openRepo(t, m, bare, Credentials{})
	created, err := r.CheckoutNew(ctx, "main", "imagepilot/update")
	if err != nil || !created {
		t.Fatalf("CheckoutNew = %v, %v; want created", created, err)
	}
	res, err := r.CommitAndPush(ctx, CommitRequest{Branch: "imagepilot/update", Base: "main",
		Message: "update", Apply: setLine("a.txt", "tag", "v2")})
	if err != nil || !res.Pushed {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	if got := testGit(t, bare, "rev-parse", "refs/heads/imagepilot/update"); got != res.Commit {
		t.Fatalf("remote branch at %s, want %s", got, res.Commit)
	}
	created, err = r.CheckoutNew(ctx, "main", "imagepilot/update")
	if err != nil || created {
		t.Fatalf("second CheckoutNew = %v, %v; want existing branch", created, err)
	}
}

func TestDefaultBranchHeadAndShowFile(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"dir/a.txt": "one\n"})
	testGit(t, bare, "symbolic-ref", "HEAD", "refs/heads/main")
	r := openRepo(t, newTestManager(t), bare, Credentials{})
	ctx := context.Background()
	branch, err := r.DefaultBranch(ctx)
	if err != nil || branch != "main" {
		t.Fatalf("DefaultBranch = %q, %v", branch, err)
	}
	if err := r.Checkout(ctx, branch); err != nil {
		t.Fatal(err)
	}
	head, err := r.Head(ctx)
	if err != nil || head != testGit(t, bare, "rev-parse", "main") {
		t.Fatalf("Head = %q, %v", head, err)
	}
	data, err := r.ShowFile(ctx, head, "/dir/a.txt")
	if err != nil || string(data) != "one\n" {
		t.Fatalf("ShowFile = %q, %v", data, err)
	}
	if _, err := r.ShowFile(ctx, "--output=/tmp/x", "a"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("option-like revision accepted: %v", err)
	}
	if _, err := r.ShowFile(ctx, head, "../../etc/passwd"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("escaping path accepted: %v", err)
	}
}

func TestOpenSerialisesUsers(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Open(ctx, bare, Credentials{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("second Open while held = %v, want context.Canceled", err)
	}
	r.Close()
	r2 := openRepo(t, m, bare, Credentials{})
	if r2.Dir() != r.Dir() {
		t.Fatalf("working copy moved: %s vs %s", r2.Dir(), r.Dir())
	}
	if err := r.Checkout(context.Background(), "main"); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed handle used: %v", err)
	}
}

func TestOpenRepairsBrokenWorkingCopy(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	dir, err := m.WorkDir(bare)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{".git/garbage": "x"})
	r := openRepo(t, m, bare, Credentials{})
	if err := r.Checkout(context.Background(), "main"); err != nil {
		t.Fatalf("checkout after repair: %v", err)
	}
}
