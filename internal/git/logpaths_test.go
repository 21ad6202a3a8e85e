package git

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// historyRepo builds a bare repository whose main branch has one commit
// per entry of edits (each a set of files to write), and returns it.
func historyRepo(t *testing.T, edits []map[string]string) string {
	t.Helper()
	bare := newBareRepo(t, map[string]string{"seed.txt": "seed\n"})
	work := filepath.Join(t.TempDir(), "history")
	testGit(t, filepath.Dir(work), "clone", "--quiet", "--branch", "main", bare, work)
	for i, files := range edits {
		writeFiles(t, work, files)
		testGit(t, work, "add", "--all")
		testGit(t, work, "commit", "--quiet", "-m", fmt.Sprintf("edit %d", i))
	}
	testGit(t, work, "push", "--quiet", "origin", "main")
	return bare
}

func checkedOut(t *testing.T, bare string) (*Repo, *Manager) {
	t.Helper()
	m := newTestManager(t, WithCloneDepth(0))
	r := openRepo(t, m, bare, Credentials{})
	if err := r.Checkout(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	return r, m
}

// assertSameAsLog checks LogPaths against Log, path by path.
func assertSameAsLog(t *testing.T, r *Repo, paths []string, n int) {
	t.Helper()
	ctx := context.Background()
	got, err := r.LogPaths(ctx, paths, n)
	if err != nil {
		t.Fatalf("LogPaths(n=%d): %v", n, err)
	}
	for _, p := range paths {
		want, err := r.Log(ctx, p, n)
		if err != nil {
			t.Fatalf("Log(%s): %v", p, err)
		}
		if !reflect.DeepEqual(got[p], want) {
			t.Errorf("n=%d %s: LogPaths gave %d commits %v, Log %d %v", n, p, len(got[p]), subjects(got[p]), len(want), subjects(want))
		}
	}
}

func subjects(cs []Commit) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Subject
	}
	return out
}

func TestLogPathsMatchesLogOnLinearHistory(t *testing.T) {
	// a.yaml changes in every commit, b.yaml in every third, c.yaml once
	// (in a commit touching a and b too), d.yaml never after the seed.
	var edits []map[string]string
	for i := range 12 {
		e := map[string]string{"apps/a.yaml": fmt.Sprintf("a%d\n", i)}
		if i%3 == 0 {
			e["apps/b.yaml"] = fmt.Sprintf("b%d\n", i)
		}
		if i == 6 {
			e["c dir/c \"quoted\".yaml"] = "c\n"
		}
		edits = append(edits, e)
	}
	r, _ := checkedOut(t, historyRepo(t, edits))
	paths := []string{"apps/a.yaml", "apps/b.yaml", "c dir/c \"quoted\".yaml", "seed.txt", "missing.yaml"}
	for _, n := range []int{1, 2, 3, 5, 50} {
		assertSameAsLog(t, r, paths, n)
	}
}

func TestLogPathsUsesOneCommandForManyPaths(t *testing.T) {
	var edits []map[string]string
	for i := range 4 {
		e := map[string]string{}
		for j := range 40 {
			e[fmt.Sprintf("apps/app%02d/values.yaml", j)] = fmt.Sprintf("tag: %d\n", i)
		}
		edits = append(edits, e)
	}
	r, m := checkedOut(t, historyRepo(t, edits))
	var paths []string
	for j := range 40 {
		paths = append(paths, fmt.Sprintf("apps/app%02d/values.yaml", j))
	}
	before := m.Stats().Commands
	got, err := r.LogPaths(context.Background(), paths, 50)
	if err != nil {
		t.Fatal(err)
	}
	if cmds := m.Stats().Commands - before; cmds != 1 {
		t.Errorf("LogPaths over %d paths ran %d git commands, want 1", len(paths), cmds)
	}
	for _, p := range paths {
		if len(got[p]) != 4 {
			t.Errorf("%s: %d commits, want 4", p, len(got[p]))
		}
	}
	assertSameAsLog(t, r, paths, 50)
}

func TestLogPathsFallsBackWhenTheListingIsTruncated(t *testing.T) {
	// hot.yaml changes in every commit and fills the combined listing;
	// cold.yaml changed only in the first commits, beyond the bound.
	edits := []map[string]string{{"cold.yaml": "1\n"}, {"cold.yaml": "2\n"}}
	for i := range 10 {
		edits = append(edits, map[string]string{"hot.yaml": fmt.Sprintf("%d\n", i)})
	}
	r, m := checkedOut(t, historyRepo(t, edits))
	before := m.Stats().Commands
	assertSameAsLog(t, r, []string{"hot.yaml", "cold.yaml"}, 3)
	// One combined listing, one Log for cold.yaml, then the two Log calls
	// of the comparison itself.
	if cmds := m.Stats().Commands - before; cmds != 4 {
		t.Errorf("%d git commands, want 4 (combined + fallback for cold.yaml + 2 comparisons)", cmds)
	}
}

func TestLogPathsFallsBackOnMergeHistory(t *testing.T) {
	bare := historyRepo(t, []map[string]string{{"a.yaml": "1\n", "b.yaml": "1\n"}})
	work := filepath.Join(t.TempDir(), "merge")
	testGit(t, filepath.Dir(work), "clone", "--quiet", "--branch", "main", bare, work)
	testGit(t, work, "checkout", "--quiet", "-b", "side")
	writeFiles(t, work, map[string]string{"a.yaml": "side\n", "b.yaml": "side\n"})
	testGit(t, work, "commit", "--quiet", "-am", "side a and b")
	testGit(t, work, "checkout", "--quiet", "main")
	writeFiles(t, work, map[string]string{"b.yaml": "main\n"})
	testGit(t, work, "commit", "--quiet", "-am", "main b")
	// The merge keeps main's a.yaml and side's b.yaml: it is TREESAME to
	// main for a.yaml, so git's per-path simplification hides "side a and
	// b" from Log(a.yaml), but a listing over both paths walks both
	// parents and shows it.
	testGit(t, work, "merge", "--quiet", "--no-commit", "-s", "ours", "side")
	writeFiles(t, work, map[string]string{"b.yaml": "side\n"})
	testGit(t, work, "commit", "--quiet", "-am", "merge side")
	testGit(t, work, "push", "--quiet", "origin", "main")
	r, _ := checkedOut(t, bare)
	assertSameAsLog(t, r, []string{"a.yaml", "b.yaml"}, 50)
}

func TestLogPathsChunksAndNames(t *testing.T) {
	var paths []string
	files := map[string]string{}
	for i := range pathsPerLog + 7 {
		p := fmt.Sprintf("f/%04d.yaml", i)
		paths = append(paths, p)
		files[p] = "x\n"
	}
	r, m := checkedOut(t, historyRepo(t, []map[string]string{files}))
	before := m.Stats().Commands
	got, err := r.LogPaths(context.Background(), append(paths, "/f/0000.yaml", "f/./0001.yaml"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if cmds := m.Stats().Commands - before; cmds != 2 {
		t.Errorf("%d paths ran %d git commands, want 2 (chunks of %d)", len(paths), cmds, pathsPerLog)
	}
	for _, p := range []string{"f/0000.yaml", "f/0506.yaml", "/f/0000.yaml", "f/./0001.yaml"} {
		if len(got[p]) != 1 || got[p][0].Subject != "edit 0" {
			t.Errorf("%s: %v, want the one commit that added it", p, subjects(got[p]))
		}
	}
}

func TestLogPathsRejectsBadArguments(t *testing.T) {
	r, _ := checkedOut(t, historyRepo(t, nil))
	for _, tc := range []struct {
		name  string
		paths []string
		n     int
	}{
		{"zero limit", []string{"a"}, 0},
		{"escaping path", []string{"a", "../etc/passwd"}, 5},
		{"root", []string{"/"}, 5},
		{"NUL", []string{"a\x00b"}, 5},
	} {
		if _, err := r.LogPaths(context.Background(), tc.paths, tc.n); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
}

func TestParseLogPaths(t *testing.T) {
	sha := strings.Repeat("a", 40)
	rec := func(parents, subject string, files ...string) string {
		s := "\x1e" + strings.Join([]string{sha, parents, "Ann", "ann@example.com", "Bob", "bob@example.com", "1700000000", subject}, "\x1f") + "\x00"
		if len(files) > 0 {
			s += "\n" + strings.Join(files, "\x00") + "\x00"
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		in      string
		want    []pathCommit
		wantErr bool
	}{
		{name: "empty", in: ""},
		{name: "one commit two files", in: rec("b", "msg", "x.yaml", "d/y.yaml"),
			want: []pathCommit{{Commit: Commit{SHA: sha, AuthorName: "Ann", AuthorEmail: "ann@example.com", CommitterName: "Bob", CommitterEmail: "bob@example.com", Subject: "msg"}, parents: 1, files: []string{"x.yaml", "d/y.yaml"}}}},
		{name: "merge without files", in: rec("b c", "merge"),
			want: []pathCommit{{Commit: Commit{SHA: sha, AuthorName: "Ann", AuthorEmail: "ann@example.com", CommitterName: "Bob", CommitterEmail: "bob@example.com", Subject: "merge"}, parents: 2}}},
		{name: "subject with a unit separator", in: rec("b", "a\x1fb", "x"),
			want: []pathCommit{{Commit: Commit{SHA: sha, AuthorName: "Ann", AuthorEmail: "ann@example.com", CommitterName: "Bob", CommitterEmail: "bob@example.com", Subject: "a\x1fb"}, parents: 1, files: []string{"x"}}}},
		{name: "short header", in: "\x1e" + sha + "\x1fb\x00", wantErr: true},
		{name: "not a hash", in: rec("b", "s", "x")[:1] + "zz" + rec("b", "s", "x")[41:], wantErr: true},
		{name: "bad date", in: strings.Replace(rec("b", "s"), "1700000000", "soon", 1), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLogPaths(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			for i := range got {
				got[i].When = got[i].When.UTC()
			}
			for i := range tc.want {
				tc.want[i].When = got[i].When // date parsing is ParseLog's, tested there
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseLogPaths(f *testing.F) {
	f.Add("\x1e" + strings.Repeat("a", 40) + "\x1f\x1fA\x1fa@x\x1fB\x1fb@x\x1f1\x1fs\x00\nf\x00")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := parseLogPaths(in)
		if err != nil {
			return
		}
		for _, r := range recs {
			if !isHex(r.SHA) {
				t.Fatalf("record with SHA %q accepted", r.SHA)
			}
			for _, f := range r.files {
				if f == "" || strings.ContainsRune(f, 0) {
					t.Fatalf("file name %q", f)
				}
			}
		}
	})
}
