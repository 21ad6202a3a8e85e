// Package policy decides which tag of a container image repository an image
// should be updated to. It is pure: apart from calls on the [Metadata]
// interface it does no I/O, so the registry layer decides how (and how
// often) a registry is asked.
//
// Use [Compile] once per set of [Settings] and [Policy.Choose] for every tag
// listing. Compile validates everything up front; its errors match
// [ErrInvalidSettings] and name the offending field and value, so callers can
// report a configuration error instead of retrying. Unknown strategy names
// are errors, never silently replaced by a default.
//
// # Filters
//
// Before a strategy looks at a tag, and before any metadata is fetched, two
// filters apply to every strategy:
//
//   - allow-tags: "" or "any" admits every tag; "regexp:<re>" admits tags the
//     Go regular expression matches anywhere (unanchored: use ^ and $ to
//     anchor). Anything else is invalid.
//   - ignore-tags: path.Match glob patterns; a matching tag is dropped. "*"
//     alone ignores every tag.
//
// # Strategies
//
//   - semver (the default, also for an empty name): the highest tag that
//     parses as a semantic version (Masterminds/semver NewVersion: a "v"
//     prefix and short forms such as "1.2" are accepted) and satisfies the
//     constraint. Other tags are ignored. An empty constraint means "*",
//     which excludes pre-releases; a constraint with a pre-release part such
//     as "2.x-0" admits them. When several tags carry the same version
//     ("v1.2.0" and "1.2.0", or different build metadata) the lexically last
//     tag wins, so "v1.2.0" beats "1.2.0". No metadata is read and
//     Result.Digest stays empty.
//   - newest-build (alias latest): the tag whose image was created last,
//     according to Metadata.Created for the wanted platforms (a single
//     image's config platform counts as an index child's does; for an
//     index the newest matching child counts). A tag with no image for the
//     wanted platforms (ErrNoMatchingPlatform) is ruled out, not an error. Calls run at most
//     8 at a time. Ties go to the lexically last tag. If the creation time of
//     any candidate cannot be read, Choose fails: an incomplete view must
//     never cause an update. Result.Digest is the winner's digest. The
//     constraint is ignored.
//   - alphabetical (alias name): the lexically last tag in byte order. The
//     constraint is ignored.
//   - digest: follows the tag given as constraint (required). The result is
//     that tag with its current manifest digest from Metadata.Digest; the
//     caller updates when the digest differs from the deployed one. If the
//     tag is not listed, is filtered out, or its image is for none of the
//     wanted platforms (checked with Metadata.Created) nothing is found.
//
// Listed names that are not valid tag references ([ValidTag]) are ruled out
// before any filter or strategy sees them.
//
// # Verdicts
//
// Result.Verdicts explains every listed tag: the filter that dropped it
// ("ignored by ignore-tags \"*-rc\"", "not a semantic version", "does not
// satisfy constraint ~1.2"), why an eligible tag lost ("older than 1.2.5"),
// or "chosen".
//
// # Comparing tags
//
// [Policy.IsNewer] orders two tags the way the strategy would, so an update
// planner can refuse downgrades and recognise a human rollback: versions for
// semver, byte order for alphabetical. Creation times and digests cannot be
// told from names, so newest-build and digest return [ErrNotComparable].
//
// # Platforms
//
// Platforms are written os/arch[/variant]; none means the updater's own
// runtime.GOOS/runtime.GOARCH. A wanted platform without a variant matches
// images with any variant; one with a variant needs exactly that variant
// (see [Platform.Matches]).
package policy
