package target

import (
	"errors"
	"fmt"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// ErrUnsupported marks a setting imagepilot accepts but cannot honour yet
// (pull requests). An application with such a setting is not updated:
// honouring the rest would push where the user asked for a review.
var ErrUnsupported = errors.New("unsupported setting")

// unsupported returns one error per setting of applicationRefs[refIndex]
// that imagepilot cannot honour yet. With useAnnotations the object's
// write-back configuration is not used.
func unsupported(spec *v1alpha1.ImageUpdaterSpec, refIndex int, app AppRef) []error {
	ref := &spec.ApplicationRefs[refIndex]
	refPath := fmt.Sprintf("spec.applicationRefs[%d]", refIndex)
	var errs []error
	seen := map[string]bool{}
	fail := func(field, what string) {
		if seen[field] {
			return // one error per block, not per image
		}
		seen[field] = true
		errs = append(errs, fmt.Errorf("%w: application %s: %s: %s are not supported yet; the application is not updated until the block is removed",
			ErrUnsupported, app, field, what))
	}
	if ref.UseAnnotations {
		return errs
	}
	if field := pullRequestField(spec, ref, refPath); field != "" {
		fail(field, "pull requests")
	}
	return errs
}

// pullRequestField names the pullRequest block that applies to ref, or "".
func pullRequestField(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, refPath string) string {
	const field = ".writeBackConfig.gitConfig.pullRequest"
	if c := ref.WriteBackConfig; c != nil && c.GitConfig != nil && c.GitConfig.PullRequest != nil {
		return refPath + field
	}
	if c := spec.WriteBackConfig; c != nil && c.GitConfig != nil && c.GitConfig.PullRequest != nil {
		return "spec" + field
	}
	return ""
}
