package yamledit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MaxFileSize is the largest file read for editing or reading a value:
// write-back targets are hand-written YAML, and repo mode skips manifests
// over the same size.
const MaxFileSize = 4 << 20

// SafeJoin resolves rel, a slash-separated path inside the repository
// checkout root, to a host path. A leading "/" means the repository root,
// like any other rel. It refuses (ErrUnsafePath) a root that is not an
// absolute directory path, rel with a NUL byte, ".." climbing above root,
// any existing path component, the final one included, that is a symbolic
// link resolving outside root, and any path inside the repository's git
// directory (ErrGitDir: a component named .git in any case, also through a
// symbolic link or a .git file's "gitdir:"). Components that do not exist
// yet are allowed (the file may be created).
func SafeJoin(root, rel string) (string, error) {
	if !filepath.IsAbs(root) {
		return "", fmt.Errorf("%w: repository root %q is not an absolute path", ErrUnsafePath, root)
	}
	if strings.ContainsRune(rel, 0) {
		return "", fmt.Errorf("%w: path %q contains a NUL byte", ErrUnsafePath, rel)
	}
	clean := path.Clean("/" + rel)
	if hasDotDot(rel) && !insideLexically(rel) {
		return "", fmt.Errorf("%w: path %q leaves the repository", ErrUnsafePath, rel)
	}
	if isGitPath(clean) {
		return "", fmt.Errorf("%w: path %q", ErrGitDir, rel)
	}
	root = filepath.Clean(root)
	joined := filepath.Join(root, filepath.FromSlash(clean))
	if err := checkSymlinks(root, joined); err != nil {
		return "", fmt.Errorf("path %q: %w", rel, err)
	}
	if realRoot, err := filepath.EvalSymlinks(root); err == nil {
		if gd := linkedGitDir(realRoot); gd != "" && within(gd, filepath.Join(realRoot, filepath.FromSlash(clean))) {
			return "", fmt.Errorf("%w: path %q", ErrGitDir, rel)
		}
	}
	return joined, nil
}

// SafeJoinSource resolves a write-back target given relative to the
// application's source path (itself relative to root), or to the repository
// root when target starts with "/". The same checks as SafeJoin apply to
// both the source path and the result.
func SafeJoinSource(root, sourcePath, target string) (string, error) {
	if strings.HasPrefix(target, "/") {
		return SafeJoin(root, target)
	}
	if _, err := SafeJoin(root, sourcePath); err != nil {
		return "", fmt.Errorf("source path: %w", err)
	}
	return SafeJoin(root, sourcePath+"/"+target)
}

// SafeRead reads the file rel inside root after the SafeJoin checks. A
// missing file is an error wrapping fs.ErrNotExist; files over MaxFileSize
// are refused.
func SafeRead(root, rel string) ([]byte, error) {
	p, err := SafeJoin(root, rel)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read %s: %w: larger than %d bytes", rel, ErrUnsafePath, MaxFileSize)
	}
	return data, nil
}

func hasDotDot(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// insideLexically reports whether rel never climbs above its start.
func insideLexically(rel string) bool {
	depth := 0
	for _, part := range strings.Split(strings.TrimPrefix(rel, "/"), "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return false
			}
		default:
			depth++
		}
	}
	return true
}

// checkSymlinks walks joined from root and refuses any existing component
// that resolves outside root.
func checkSymlinks(root, joined string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("%w: repository root: %w", ErrUnsafePath, err)
	}
	relPath, err := filepath.Rel(root, joined)
	if err != nil || relPath == "." {
		return err
	}
	cur := root
	for _, part := range strings.Split(relPath, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		info, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnsafePath, err)
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if err := checkLinkTarget(realRoot, cur); err != nil {
			return err
		}
	}
	return nil
}

func checkLinkTarget(realRoot, link string) error {
	target, err := filepath.EvalSymlinks(link)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: symbolic link %s points to a missing target", ErrUnsafePath, link)
	}
	if err != nil {
		return fmt.Errorf("%w: symbolic link %s: %w", ErrUnsafePath, link, err)
	}
	if !within(realRoot, target) {
		return fmt.Errorf("%w: symbolic link %s points outside the repository", ErrUnsafePath, link)
	}
	if rel, err := filepath.Rel(realRoot, target); err == nil && isGitPath(filepath.ToSlash(rel)) {
		return fmt.Errorf("%w: symbolic link %s points into it", ErrGitDir, link)
	}
	if gd := linkedGitDir(realRoot); gd != "" && within(gd, target) {
		return fmt.Errorf("%w: symbolic link %s points into it", ErrGitDir, link)
	}
	return nil
}

func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator)) || root == string(filepath.Separator)
}
