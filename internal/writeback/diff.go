package writeback

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// UnifiedDiff renders a git-style unified diff of one file (git diff
// --no-index on temporary copies laid out as a/<name> and b/<name>).
func UnifiedDiff(name string, before, after []byte) string {
	dir, err := os.MkdirTemp("", "imagepilot-diff-")
	if err != nil {
		return fmt.Sprintf("(diff of %s unavailable: %v)\n", name, err)
	}
	defer os.RemoveAll(dir)
	for side, data := range map[string][]byte{"a": before, "b": after} {
		p := filepath.Join(dir, side, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Sprintf("(diff of %s unavailable: %v)\n", name, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return fmt.Sprintf("(diff of %s unavailable: %v)\n", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "diff", "--no-index", "--no-color", "--no-prefix", "--", "a/"+name, "b/"+name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	out, _ := cmd.Output() // exit status 1 means "differs"
	text := string(out)
	if len(before) == 0 {
		text = strings.Replace(text, "--- a/"+name+"\n", "--- /dev/null\n", 1)
	}
	return text
}
