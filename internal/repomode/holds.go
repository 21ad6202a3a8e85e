package repomode

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// readHolds reads the holds file of the checkout at root (absent = none).
func readHolds(root string) (holds.Set, error) {
	data, err := yamledit.SafeRead(root, "/"+holds.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return holds.Set{}, nil
	}
	if err != nil {
		return holds.Set{}, fmt.Errorf("reading %s: %w", holds.Path, err)
	}
	return holds.Parse(data)
}

// Holds returns the hold service of the repository, kept in its
// holds.Path; lock (nil: none) lets hold changes take turns with cycles.
func (r *Runner) Holds(lock holds.Locker) *holds.Service {
	return &holds.Service{Store: fileStore{r}, Lock: lock}
}

// fileStore is repo mode's holds.Store: the repository's holds.Path,
// changed by commits.
type fileStore struct{ r *Runner }

var _ holds.Store = fileStore{}

// List lists the repository's holds.
func (s fileStore) List(ctx context.Context) (holds.Set, error) {
	r := s.r
	repo, err := r.open(ctx)
	if err != nil {
		return holds.Set{}, err
	}
	defer repo.Close()
	l, err := r.load(ctx, repo)
	if err != nil {
		return holds.Set{}, err
	}
	return l.holds, nil
}

// Place pins an image, committing the holds file (and, when h.Version is
// set, that version into the image's write-back file) in one commit.
func (s fileStore) Place(ctx context.Context, h holds.Hold) error {
	r := s.r
	msg := fmt.Sprintf("imagepilot: hold %s %s", h.Application, h.Image)
	if h.Version != "" {
		msg += " at " + h.Version
	}
	if h.Reason != "" {
		msg += "\n\n" + h.Reason
	}
	_, err := r.commitHolds(ctx, msg+"\n", func(root string, set *holds.Set, items []updater.Item) (bool, error) {
		matched := false
		for _, it := range items {
			if !holds.Matches(h, it.Target.App, it.Target.Image) {
				continue
			}
			matched = true
			if h.Version != "" {
				tag, digest := imagespec.SplitTagValue(h.Version)
				if _, err := r.Writer.Layout.Write(root, it.Target, writeback.Value{Name: it.Target.Image.Name, Tag: tag, Digest: digest}); err != nil {
					return false, err
				}
			}
		}
		if !matched {
			return false, fmt.Errorf("%w: application %q has no image %q managed from %s", holds.ErrNoSuchImage, h.Application, h.Image, RedactURL(r.RepoURL))
		}
		set.Put(h)
		return true, nil
	})
	return err
}

// Remove removes a hold; updates resume with the next cycle.
func (s fileStore) Remove(ctx context.Context, application, image string) error {
	msg := fmt.Sprintf("imagepilot: release %s %s\n", application, image)
	_, err := s.r.commitHolds(ctx, msg, func(_ string, set *holds.Set, _ []updater.Item) (bool, error) {
		if !set.Remove(application, image) {
			return false, fmt.Errorf("%w: no hold for application %q image %q", holds.ErrNoSuchImage, application, image)
		}
		return true, nil
	})
	return err
}

// commitHolds edits the holds file (and whatever edit does) in one commit on
// the applications' branch, re-derived from the current head on every push
// attempt.
func (r *Runner) commitHolds(ctx context.Context, msg string, edit func(root string, set *holds.Set, items []updater.Item) (bool, error)) (git.PushResult, error) {
	repo, err := r.open(ctx)
	if err != nil {
		return git.PushResult{}, err
	}
	defer repo.Close()
	l, err := r.load(ctx, repo)
	if err != nil {
		return git.PushResult{}, err
	}
	return repo.CommitAndPush(ctx, git.CommitRequest{
		Branch:  l.rep.Branch,
		Message: msg,
		Apply: func(root string) (bool, error) {
			set, err := readHolds(root)
			if err != nil {
				return false, err
			}
			manifests, _ := Load(root, r.AppsPath)
			items, _, _ := Items(root, manifests, append([]string{r.RepoURL, repo.URL()}, r.SourceURLs...), r.Writer.Layout)
			if changed, err := edit(root, &set, items); err != nil || !changed {
				return false, err
			}
			data, err := set.Marshal()
			if err != nil {
				return false, err
			}
			p, err := yamledit.SafeJoin(root, "/"+holds.Path)
			if err != nil {
				return false, err
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return false, err
			}
			return true, os.WriteFile(p, data, 0o644)
		},
	})
}
