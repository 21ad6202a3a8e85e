package yamledit

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// isGitPath reports whether a slash-separated path has a component that
// names a git directory or a .git file: ".git" in any case, also with the
// trailing dots or spaces Windows drops and as the 8.3 short name GIT~1.
func isGitPath(p string) bool {
	for _, part := range strings.Split(p, "/") {
		name := strings.TrimRight(part, ". ")
		if strings.EqualFold(name, ".git") || strings.EqualFold(part, "git~1") {
			return true
		}
	}
	return false
}

// linkedGitDir returns the resolved git directory a ".git" file at root
// names ("gitdir: <path>", as worktrees and submodules have), or "".
func linkedGitDir(realRoot string) string {
	f, err := os.Open(filepath.Join(realRoot, ".git"))
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return ""
	}
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:")
	if !ok {
		return ""
	}
	dir = strings.TrimSpace(dir)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(realRoot, dir)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return real
	}
	return filepath.Clean(dir)
}
