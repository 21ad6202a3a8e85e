package git

import (
	"fmt"
	"path"
	"strings"
)

// ValidateBranch refuses branch names git would reject or could mistake for
// options (a subset of git check-ref-format's rules, checked without git).
func ValidateBranch(name string) error {
	bad := name == "" || name == "@" || strings.HasPrefix(name, "-") ||
		strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") ||
		strings.HasSuffix(name, ".") || strings.HasSuffix(name, ".lock") ||
		strings.Contains(name, "..") || strings.Contains(name, "//") ||
		strings.Contains(name, "@{") || strings.Contains(name, "/.") ||
		strings.HasPrefix(name, ".")
	for _, c := range name {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%w: branch name %q", ErrInvalidArgument, name)
	}
	return nil
}

// validateRev accepts HEAD, commit hashes and branch-like revisions only,
// so that no revision can be mistaken for an option.
func validateRev(rev string) error {
	if rev == "HEAD" {
		return nil
	}
	return ValidateBranch(rev)
}

// cleanRepoPath returns p as a clean slash path relative to the repository
// root, refusing paths that leave it.
func cleanRepoPath(p string) (string, error) {
	rel := strings.TrimPrefix(p, "/")
	clean := path.Clean(rel)
	if rel == "" || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: repository path %q", ErrInvalidArgument, p)
	}
	return clean, nil
}

// isHex reports whether s looks like an (abbreviated) commit hash.
func isHex(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
