// Package yamledit makes byte-preserving edits to the YAML files a GitOps
// write-back changes: Helm values files, kustomization files and the
// .argocd-source-<app>.yaml override files Argo CD reads.
//
// The technique is "locate, then splice": the file is parsed with yaml.v3
// only to find where a scalar lives (line and column); the new bytes replace
// exactly that scalar in the original text, so comments, key order, quoting,
// blank lines, indentation and CRLF line endings survive. Every edit is then
// verified: the output is parsed again and compared, node by node, with the
// original tree carrying the intended change. If anything else moved, the
// edit is refused with ErrVerify instead of returning a damaged file.
//
// # Helm value keys
//
// SetHelmValue and GetHelmValue address values with dotted keys:
// "frontend.image.tag" walks nested mappings and "containers[0].image"
// indexes a sequence. A key that itself contains a dot, a bracket or a
// backslash is written with a backslash escape: `annotations.example\.com/tag`
// addresses the key "example.com/tag" under "annotations", `a\[0\]` the key
// "a[0]" and `a\\b` the key `a\b`.
//
// Rules for Helm values files:
//   - Multi-document files: the first document holding the whole key is
//     edited. When no document holds it, the missing mapping keys are created
//     in the document holding the longest existing prefix (the first such
//     document on a tie), appended after the last entry of the deepest
//     existing mapping with the file's detected indentation.
//   - Values are always written as strings: a value that plain YAML would
//     read as a number, boolean or null ("1.10", "true", "1e3") is quoted.
//     An existing quote style is kept when it can represent the value.
//   - Anchors and aliases are never broken silently: a key whose path passes
//     through an alias, or whose value is an alias, is refused with ErrAlias;
//     a value inside an anchored node that some alias refers to is refused
//     too, since changing it would change the aliases as well. Reading
//     (GetHelmValue) follows aliases and merge keys.
//   - Sequence indexes are never created: an index past the end is an error.
//
// # Several edits of one file
//
// Parse returns a Doc that several edits and reads share: the file is
// parsed once, and Bytes applies the edits with one verifying parse, whose
// result the Doc keeps for further edits. Parsing validates the documents
// (duplicate keys, merge keys, explicit tags) in linear time.
//
// # Kustomizations and override files
//
// SetKustomizeImage edits one entry of a kustomization's images: list in
// place. MergeSourceOverride merges Helm parameters and Kustomize images into
// an .argocd-source file, writing the layout Argo CD Image Updater writes
// (yaml.v3, indent 2, sequences not indented, trailing newline).
//
// # Paths
//
// SafeJoin, SafeJoinSource and SafeRead resolve write-back paths inside a
// repository checkout and refuse anything that would leave it (".."
// escapes, symlinks pointing outside) or enter its git directory
// (ErrGitDir). They are the only functions of this package that touch the
// file system.
package yamledit
