package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recordingPublisher stands in for an API: it records each Publication
// and answers with its scripted results in order.
type recordingPublisher struct {
	calls   []Publication
	answers []error
	before  func(n int) // runs before answering call n (0-based)
}

func (p *recordingPublisher) Publish(_ context.Context, pub Publication) (string, error) {
	n := len(p.calls)
	p.calls = append(p.calls, pub)
	if p.before != nil {
		p.before(n)
	}
	if n < len(p.answers) && p.answers[n] != nil {
		return "", p.answers[n]
	}
	return fmt.Sprintf("%040d", n+1), nil
}

func TestParseNameStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []NamedStatus
		ok   bool
	}{
		{"empty", "", nil, true},
		{"modified and added", "M\x00a.yaml\x00A\x00dir/b.yaml\x00", []NamedStatus{{Path: "a.yaml"}, {Path: "dir/b.yaml"}}, true},
		{"deleted", "D\x00old.yaml\x00", []NamedStatus{{Path: "old.yaml", Deleted: true}}, true},
		{"type change", "T\x00link\x00", []NamedStatus{{Path: "link"}}, true},
		{"path with spaces and newline", "M\x00a b\nc\x00", []NamedStatus{{Path: "a b\nc"}}, true},
		{"no trailing NUL", "M\x00a", []NamedStatus{{Path: "a"}}, true},
		{"odd fields", "M\x00a\x00D\x00", nil, false},
		{"rename is refused (renames are off)", "R100\x00a\x00", nil, false},
		{"unmerged", "U\x00a\x00", nil, false},
		{"empty status", "\x00a\x00", nil, false},
		{"empty path", "M\x00\x00", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNameStatus([]byte(tt.in))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidArgument)) {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseNameStatus(f *testing.F) {
	for _, s := range []string{"", "M\x00a\x00", "D\x00a\x00A\x00b", "R1\x00a\x00b\x00", "\x00\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ParseNameStatus(in)
		if err != nil {
			return
		}
		for _, e := range got {
			if e.Path == "" {
				t.Fatalf("empty path from %q", in)
			}
		}
	})
}

// TestPublishChangedFiles: the Publisher receives every changed file with
// its content and git mode (executable, symbolic link), deletions, the
// parent and lease, and the rendered message with its sign-off; nothing
// is committed or pushed by git.
func TestPublishChangedFiles(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n", "gone.yaml": "x\n", "keep.yaml": "k\n"})
	m := newTestManager(t, WithAuthor("Bot", "bot@example.com"))
	r := openRepo(t, m, bare, Credentials{})
	head := testGit(t, bare, "rev-parse", "main")
	pub := &recordingPublisher{}
	res, err := r.CommitAndPush(context.Background(), CommitRequest{
		Branch: "main", Message: "update", SignOff: true, Publisher: pub,
		Apply: func(dir string) (bool, error) {
			if _, err := setLine("values.yaml", "tag", "v2")(dir); err != nil {
				return false, err
			}
			if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
				return false, err
			}
			if err := os.Symlink("values.yaml", filepath.Join(dir, "link.yaml")); err != nil {
				return false, err
			}
			return true, os.Remove(filepath.Join(dir, "gone.yaml"))
		},
	})
	if err != nil || !res.Pushed || res.Attempts != 1 || res.Commit != fmt.Sprintf("%040d", 1) {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	if len(pub.calls) != 1 {
		t.Fatalf("calls %+v", pub.calls)
	}
	p := pub.calls[0]
	if p.Branch != "main" || p.Parent != head || p.Lease != head || p.Force {
		t.Fatalf("publication %+v, head %s", p, head)
	}
	if p.Message != "update\n\nSigned-off-by: Bot <bot@example.com>\n" {
		t.Fatalf("message %q", p.Message)
	}
	want := []FileChange{
		{Path: "gone.yaml", Deleted: true},
		{Path: "link.yaml", Mode: "120000", Content: []byte("values.yaml")},
		{Path: "run.sh", Mode: "100755", Content: []byte("#!/bin/sh\n")},
		{Path: "values.yaml", Mode: "100644", Content: []byte("tag: v2\n")},
	}
	if !reflect.DeepEqual(p.Files, want) {
		t.Fatalf("files %+v, want %+v", p.Files, want)
	}
	if testGit(t, bare, "rev-parse", "main") != head {
		t.Fatal("git pushed although a Publisher was set")
	}
}

// TestPublishRetriesAMovedBranch: a Publisher answering ErrNotFastForward
// makes CommitAndPush fetch the new head, re-apply on it and publish again,
// within the attempt bound; a no-op change publishes nothing; other
// errors stop at once.
func TestPublishRetriesAMovedBranch(t *testing.T) {
	tests := []struct {
		name         string
		answers      []error
		attempts     int
		wantCalls    int
		wantPushed   bool
		wantErr      error
		wantAttempts int
	}{
		{"moved once", []error{ErrNotFastForward}, 3, 2, true, nil, 2},
		{"moved every time", []error{ErrNotFastForward, ErrNotFastForward, ErrNotFastForward}, 3, 3, false, ErrPushRejected, 3},
		{"other error", []error{errors.New("HTTP 500")}, 3, 1, false, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
			m := newTestManager(t, WithPushAttempts(tt.attempts))
			r := openRepo(t, m, bare, Credentials{})
			var human string
			pub := &recordingPublisher{answers: tt.answers, before: func(n int) {
				if n == 0 && errors.Is(tt.answers[0], ErrNotFastForward) {
					human = humanPush(t, bare, "main", map[string]string{"other.yaml": "o\n"})
				}
			}}
			res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Publisher: pub,
				Apply: setLine("values.yaml", "tag", "v2")})
			if res.Pushed != tt.wantPushed || res.Attempts != tt.wantAttempts || len(pub.calls) != tt.wantCalls {
				t.Fatalf("result %+v, calls %d, err %v", res, len(pub.calls), err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && tt.wantPushed != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if tt.name == "moved once" {
				second := pub.calls[1]
				if second.Parent != human || second.Lease != human || len(second.Files) != 1 || second.Files[0].Path != "values.yaml" {
					t.Fatalf("retry publication %+v, human %s", second, human)
				}
			}
			if tt.name == "other error" && (err == nil || !strings.Contains(err.Error(), "HTTP 500")) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestPublishNothingChanged: an Apply that changes nothing (second cycle)
// calls no Publisher and reports the head.
func TestPublishNothingChanged(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v2\n"})
	r := openRepo(t, newTestManager(t), bare, Credentials{})
	pub := &recordingPublisher{}
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Publisher: pub,
		Apply: func(dir string) (bool, error) {
			// Claims a change but leaves the content as it was.
			return true, os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("tag: v2\n"), 0o644)
		}})
	if err != nil || res.Pushed || len(pub.calls) != 0 || res.Commit != testGit(t, bare, "rev-parse", "main") {
		t.Fatalf("result %+v, calls %d, err %v", res, len(pub.calls), err)
	}
}

// TestPublishNewBranchFromBase: a write branch that does not exist yet is
// published with an empty lease (create) and the base as parent; once it
// exists, with its head as lease and Force (rebuilt from the base).
func TestPublishNewBranchFromBase(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	r := openRepo(t, newTestManager(t), bare, Credentials{})
	main := testGit(t, bare, "rev-parse", "main")
	pub := &recordingPublisher{}
	req := CommitRequest{Branch: "auto/web", Base: "main", AllowForce: true, Message: "m", Publisher: pub, Apply: setLine("values.yaml", "tag", "v2")}
	if _, err := r.CommitAndPush(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if p := pub.calls[0]; p.Lease != "" || p.Parent != main || !p.Force || p.Branch != "auto/web" {
		t.Fatalf("first publication %+v", p)
	}
	branchHead := humanPush(t, bare, "main", map[string]string{"x": "x\n"})
	testGit(t, bare, "update-ref", "refs/heads/auto/web", branchHead)
	if _, err := r.CommitAndPush(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if p := pub.calls[1]; p.Lease != branchHead || p.Parent != branchHead || !p.Force {
		t.Fatalf("second publication %+v (branch head %s)", p, branchHead)
	}
}
