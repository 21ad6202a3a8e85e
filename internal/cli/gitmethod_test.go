package cli

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/writeback"
)

// GIT_COMMIT_METHOD is read by every command with Git flags: the
// in-process runs clear it with the others (kept here, not in
// execute_test.go's list, which another change is editing).
func init() { commandEnv = append(commandEnv, "GIT_COMMIT_METHOD") }

// TestGitCommitMethodFlag: --git-commit-method (env GIT_COMMIT_METHOD)
// reaches the writer; an unknown method, and api together with a signing
// key (GitHub signs API commits itself), are refused.
func TestGitCommitMethodFlag(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"default", nil, nil, writeback.CommitMethodGit, ""},
		{"flag", []string{"--git-commit-method=api"}, nil, writeback.CommitMethodAPI, ""},
		{"environment", nil, map[string]string{"GIT_COMMIT_METHOD": "api"}, writeback.CommitMethodAPI, ""},
		{"flag over environment", []string{"--git-commit-method=git"}, map[string]string{"GIT_COMMIT_METHOD": "api"}, writeback.CommitMethodGit, ""},
		{"unknown", []string{"--git-commit-method=cli"}, nil, "", "--git-commit-method"},
		{"api with a signing key", []string{"--git-commit-method=api", "--git-commit-signing-key=ABC"}, nil, "", "--git-commit-signing-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g gitFlags
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			env := mapEnv(tt.env)
			g.register(fs, env)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			g.messagePath = ""
			w, err := g.writer(nil, nil, nil, false)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || w.CommitMethod != tt.want {
				t.Fatalf("writer %+v, %v; want method %q", w, err, tt.want)
			}
		})
	}
}
