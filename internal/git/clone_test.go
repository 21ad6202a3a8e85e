package git

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder collects the commands a Manager runs.
type recorder struct {
	mu   sync.Mutex
	cmds []Command
}

func (r *recorder) hook(c Command) { r.mu.Lock(); r.cmds = append(r.cmds, c); r.mu.Unlock() }

// args returns the arguments of the commands running subcommand sub.
func (r *recorder) args(sub string) [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]string
	for _, c := range r.cmds {
		if subcommand(c.Args) == sub {
			out = append(out, c.Args)
		}
	}
	return out
}

func (r *recorder) count() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int64(len(r.cmds))
}

// Clone and fetch arguments: shallow by default (and fetches keep the
// depth), full history with depth 0, never tags, the URL after "--".
func TestCloneAndFetchArguments(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "1\n"})
	humanPush(t, bare, "main", map[string]string{"a.txt": "2\n"})
	tests := []struct {
		name        string
		depth       int
		wantDepth   bool
		wantShallow bool
	}{
		{"default depth 1", DefaultCloneDepth, true, true},
		{"depth 0 is full history", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			m := newTestManager(t, WithCloneDepth(tt.depth), WithCommandHook(rec.hook))
			r := openRepo(t, m, bare, Credentials{})
			if err := r.Checkout(context.Background(), "main"); err != nil {
				t.Fatal(err)
			}
			clones, fetches := rec.args("clone"), rec.args("fetch")
			if len(clones) != 1 || len(fetches) != 1 {
				t.Fatalf("clones %q fetches %q", clones, fetches)
			}
			clone := clones[0]
			if !slices.Contains(clone, "--no-tags") || slices.Contains(clone, "--depth") != tt.wantDepth {
				t.Errorf("clone args %q", clone)
			}
			if i := slices.Index(clone, "--"); i < 0 || !strings.HasPrefix(clone[i+1], "file://") {
				t.Errorf("clone args %q: the URL must follow --", clone)
			}
			if fetch := fetches[0]; slices.Contains(fetch, "--depth") != tt.wantDepth || !slices.Contains(fetch, "+refs/heads/main:refs/remotes/origin/main") {
				t.Errorf("fetch args %q", fetch)
			}
			if r.shallow() != tt.wantShallow {
				t.Errorf("shallow = %v, want %v", r.shallow(), tt.wantShallow)
			}
			log, err := r.Log(context.Background(), "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 2}[tt.wantShallow]; len(log) != want {
				t.Errorf("%d commits in the working copy, want %d", len(log), want)
			}
		})
	}
}

// Stats count every git process, and the kinds of work.
func TestStatsCountEveryCommand(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	rec := &recorder{}
	m := newTestManager(t, WithCommandHook(rec.hook))
	r := openRepo(t, m, bare, Credentials{})
	if _, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Apply: setLine("values.yaml", "tag", "v2")}); err != nil {
		t.Fatal(err)
	}
	st := m.Stats()
	if st.Commands != rec.count() || st.Commands == 0 {
		t.Errorf("Commands = %d, the hook saw %d", st.Commands, rec.count())
	}
	want := Stats{Commands: st.Commands, Clones: 1, Fetches: 1, Commits: 1, Pushes: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestDefaultBranch(t *testing.T) {
	tests := []struct {
		name    string
		head    string // what the remote's HEAD points to
		want    string
		wantErr error
	}{
		{"main", "refs/heads/main", "main", nil},
		{"another default", "refs/heads/trunk", "trunk", nil},
		{"HEAD to a branch that does not exist", "refs/heads/gone", "", ErrBranchNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bare := newBareRepo(t, map[string]string{"a.txt": "1\n"})
			testGit(t, bare, "branch", "trunk", "main")
			r := openRepo(t, newTestManager(t), bare, Credentials{})
			testGit(t, bare, "symbolic-ref", "HEAD", tt.head)
			got, err := r.DefaultBranch(context.Background())
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("DefaultBranch = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestShowFileErrors(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "1\n"})
	r := openRepo(t, newTestManager(t), bare, Credentials{})
	ctx := context.Background()
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	_, err := r.ShowFile(ctx, "HEAD", "missing.txt")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Subcommand != "show" || ce.ExitCode != 128 || !strings.Contains(err.Error(), "missing.txt") {
		t.Fatalf("ShowFile of a missing path = %v, want git show's error", err)
	}
	if _, err := r.ShowFile(ctx, "HEAD", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty path: %v", err)
	}
	if _, err := r.ShowFile(ctx, "nobranch", "a.txt"); err == nil {
		t.Error("unknown revision accepted")
	}
}

func TestCheckoutNewOnAnExistingBranch(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "1\n"})
	testGit(t, bare, "branch", "feature", "main")
	r := openRepo(t, newTestManager(t), bare, Credentials{})
	created, err := r.CheckoutNew(context.Background(), "main", "feature")
	if err != nil || created {
		t.Fatalf("CheckoutNew of an existing branch = %v, %v; want checked out, not created", created, err)
	}
	if _, err := r.CheckoutNew(context.Background(), "nobase", "newbranch"); !errors.Is(err, ErrBranchNotFound) {
		t.Fatalf("CheckoutNew from a missing base = %v, want ErrBranchNotFound", err)
	}
	if _, err := r.CheckoutNew(context.Background(), "main", "bad..name"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("CheckoutNew of an invalid name = %v", err)
	}
}
