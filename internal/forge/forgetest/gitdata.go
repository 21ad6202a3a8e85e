package forgetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The GitHub Git Data API (blobs, trees, commits, refs) on BareRepo, as
// GitHub documents it: every object is written with git plumbing
// (hash-object, read-tree/update-index/write-tree, commit-tree,
// update-ref), so what the API creates is a real commit the git server
// serves. Commits created through it are reported "verified" (reason
// "valid"), as GitHub reports commits it signs for an App.

// Bot is the author and committer the fake gives API commits, as GitHub
// names an App's bot user.
const (
	BotName  = "imagepilot-test[bot]"
	BotEmail = "1234+imagepilot-test[bot]@users.noreply.github.com"
)

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Verified reports whether sha was created through the fake's Git Data API.
func (s *Server) Verified(sha string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified[sha]
}

// gitOut runs git in BareRepo with stdin and extra environment.
func (s *Server) gitOut(stdin string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", s.BareRepo}, args...)...)
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %v: %w: %s", args, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *Server) objectType(sha string) string {
	if !shaRE.MatchString(sha) {
		return ""
	}
	t, err := s.gitOut("", nil, "cat-file", "-t", sha)
	if err != nil {
		return ""
	}
	return t
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
}

func unprocessable(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": msg})
}

func (s *Server) serveGitData(w http.ResponseWriter, r *http.Request, sub string, body map[string]any) {
	if s.BareRepo == "" {
		notFound(w)
		return
	}
	if s.failed(w, "gitdata") {
		return
	}
	switch {
	case sub == "blobs" && r.Method == http.MethodPost:
		s.createBlob(w, body)
	case sub == "trees" && r.Method == http.MethodPost:
		s.createTree(w, body)
	case sub == "commits" && r.Method == http.MethodPost:
		s.createCommit(w, body)
	case strings.HasPrefix(sub, "commits/") && r.Method == http.MethodGet:
		sha := strings.TrimPrefix(sub, "commits/")
		if s.objectType(sha) != "commit" {
			notFound(w)
			return
		}
		s.writeCommit(w, http.StatusOK, sha)
	case sub == "refs" && r.Method == http.MethodPost:
		s.createRef(w, body)
	case strings.HasPrefix(sub, "ref/heads/") && r.Method == http.MethodGet,
		strings.HasPrefix(sub, "refs/heads/") && r.Method == http.MethodPatch:
		_, name, _ := strings.Cut(sub, "/heads/")
		b, err := url.PathUnescape(name)
		if err != nil {
			notFound(w)
			return
		}
		if r.Method == http.MethodGet {
			s.getRef(w, b)
			return
		}
		s.updateRef(w, b, body)
	default:
		notFound(w)
	}
}

func (s *Server) createBlob(w http.ResponseWriter, body map[string]any) {
	content, ok := body["content"].(string)
	if !ok {
		unprocessable(w, "Invalid request.\n\n\"content\" wasn't supplied.")
		return
	}
	data := []byte(content)
	switch str(body, "encoding") {
	case "base64":
		var err error
		if data, err = base64.StdEncoding.DecodeString(content); err != nil {
			unprocessable(w, "Invalid request.\n\ncontent is not valid Base64.")
			return
		}
	case "", "utf-8":
	default:
		unprocessable(w, "Invalid request.\n\nencoding must be utf-8 or base64.")
		return
	}
	sha, err := s.gitOut(string(data), nil, "hash-object", "-w", "--stdin")
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha": sha, "url": s.URL + s.Prefix + "/repos/" + s.Project + "/git/blobs/" + sha})
}

// createTree builds the tree in a private index: the base tree read in,
// each entry added (blob SHA or inline content) or removed (sha null).
func (s *Server) createTree(w http.ResponseWriter, body map[string]any) {
	entries, ok := body["tree"].([]any)
	if !ok {
		unprocessable(w, "Invalid request.\n\n\"tree\" wasn't supplied.")
		return
	}
	idx, err := os.CreateTemp("", "forgetest-index-")
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	idx.Close()
	os.Remove(idx.Name())
	defer os.Remove(idx.Name())
	// update-index wants a work tree: an empty one (nothing is checked out).
	wt, err := os.MkdirTemp("", "forgetest-worktree-")
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	defer os.RemoveAll(wt)
	env := []string{"GIT_INDEX_FILE=" + filepath.Clean(idx.Name()), "GIT_WORK_TREE=" + wt}
	if base := str(body, "base_tree"); base != "" {
		if s.objectType(base) != "tree" {
			unprocessable(w, "Invalid request.\n\nbase_tree is not a valid tree oid")
			return
		}
		if _, err := s.gitOut("", env, "read-tree", base); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
			return
		}
	} else if _, err := s.gitOut("", env, "read-tree", "--empty"); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	for _, e := range entries {
		m, _ := e.(map[string]any)
		path, mode := str(m, "path"), str(m, "mode")
		if path == "" || strings.HasPrefix(path, "/") || strings.Contains("/"+path+"/", "/../") {
			unprocessable(w, "tree.path contains a malformed path component")
			return
		}
		sha, hasSHA := m["sha"]
		content, hasContent := m["content"].(string)
		if hasSHA && sha == nil {
			if _, err := s.gitOut("", env, "update-index", "--force-remove", "--", path); err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
				return
			}
			continue
		}
		switch mode {
		case "100644", "100755", "120000":
		default:
			unprocessable(w, "tree.mode must be one of 100644, 100755, 040000, 160000, 120000")
			return
		}
		blob, _ := sha.(string)
		if hasContent {
			if blob, err = s.gitOut(content, nil, "hash-object", "-w", "--stdin"); err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
				return
			}
		} else if s.objectType(blob) != "blob" {
			unprocessable(w, "tree.sha "+blob+" is not a valid blob")
			return
		}
		if _, err := s.gitOut("", env, "update-index", "--add", "--cacheinfo", mode+","+blob+","+path); err != nil {
			unprocessable(w, "tree.path "+path+" cannot be written")
			return
		}
	}
	tree, err := s.gitOut("", env, "write-tree")
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha": tree, "truncated": false})
}

func (s *Server) createCommit(w http.ResponseWriter, body map[string]any) {
	msg, tree := str(body, "message"), str(body, "tree")
	if msg == "" || s.objectType(tree) != "tree" {
		unprocessable(w, "Invalid request.\n\nmessage and a valid tree are required.")
		return
	}
	if _, ok := body["author"]; ok {
		unprocessable(w, "fake: an author makes GitHub leave the commit unsigned; imagepilot must not send one")
		return
	}
	args := []string{"commit-tree", tree}
	parents, _ := body["parents"].([]any)
	for _, p := range parents {
		ps, _ := p.(string)
		if s.objectType(ps) != "commit" {
			unprocessable(w, "Invalid request.\n\nparent "+ps+" is not a commit")
			return
		}
		args = append(args, "-p", ps)
	}
	env := []string{"GIT_AUTHOR_NAME=" + BotName, "GIT_AUTHOR_EMAIL=" + BotEmail,
		"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com"}
	sha, err := s.gitOut(msg, env, args...)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	if s.verified == nil {
		s.verified = map[string]bool{}
	}
	s.verified[sha] = true
	if s.OnCommit != nil {
		s.OnCommit(sha)
	}
	s.writeCommit(w, http.StatusCreated, sha)
}

func (s *Server) writeCommit(w http.ResponseWriter, status int, sha string) {
	info, err := s.gitOut("", nil, "show", "-s", "--format=%T%n%P%n%an%n%ae%n%cn%n%ce%n%B", sha)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return
	}
	lines := strings.SplitN(info, "\n", 7)
	for len(lines) < 7 {
		lines = append(lines, "")
	}
	var parents []map[string]any
	for _, p := range strings.Fields(lines[1]) {
		parents = append(parents, map[string]any{"sha": p})
	}
	verification := map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil}
	if s.verified[sha] {
		verification = map[string]any{"verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\nfake\n-----END PGP SIGNATURE-----", "payload": "tree " + lines[0]}
	}
	writeJSON(w, status, map[string]any{
		"sha": sha, "message": lines[6], "tree": map[string]any{"sha": lines[0]}, "parents": parents,
		"author":       map[string]any{"name": lines[2], "email": lines[3]},
		"committer":    map[string]any{"name": lines[4], "email": lines[5]},
		"verification": verification,
	})
}

func (s *Server) writeRef(w http.ResponseWriter, status int, ref, sha string) {
	writeJSON(w, status, map[string]any{"ref": ref, "object": map[string]any{"sha": sha, "type": "commit"}})
}

func (s *Server) getRef(w http.ResponseWriter, b string) {
	sha, err := s.gitOut("", nil, "rev-parse", "--verify", "--quiet", "refs/heads/"+b)
	if err != nil {
		notFound(w)
		return
	}
	s.writeRef(w, http.StatusOK, "refs/heads/"+b, sha)
}

func (s *Server) createRef(w http.ResponseWriter, body map[string]any) {
	ref, sha := str(body, "ref"), str(body, "sha")
	if !strings.HasPrefix(ref, "refs/") || strings.Count(ref, "/") < 2 {
		unprocessable(w, "Reference name must start with 'refs/' and have at least two slashes.")
		return
	}
	if s.objectType(sha) != "commit" {
		unprocessable(w, "Object does not exist")
		return
	}
	// The zero old value makes update-ref create only.
	if _, err := s.gitOut("", nil, "update-ref", ref, sha, strings.Repeat("0", 40)); err != nil {
		unprocessable(w, "Reference already exists")
		return
	}
	s.writeRef(w, http.StatusCreated, ref, sha)
}

func (s *Server) updateRef(w http.ResponseWriter, b string, body map[string]any) {
	ref, sha := "refs/heads/"+b, str(body, "sha")
	cur, err := s.gitOut("", nil, "rev-parse", "--verify", "--quiet", ref)
	if err != nil {
		unprocessable(w, "Reference does not exist")
		return
	}
	if s.objectType(sha) != "commit" {
		unprocessable(w, "Object does not exist")
		return
	}
	force, _ := body["force"].(bool)
	if !force {
		if _, err := s.gitOut("", nil, "merge-base", "--is-ancestor", cur, sha); err != nil {
			unprocessable(w, "Update is not a fast forward")
			return
		}
	}
	if _, err := s.gitOut("", nil, "update-ref", ref, sha, cur); err != nil {
		unprocessable(w, "Update is not a fast forward")
		return
	}
	s.writeRef(w, http.StatusOK, ref, sha)
}
