package imagespec

import "strings"

// SplitReference splits an image reference as manifests, Helm parameters
// and Application status write it, "name[:tag][@digest]", into its parts.
// The tag colon is the last colon after the last slash, so a registry port
// ("host:5000/app") is never taken for a tag. Reading a deployed value and
// writing a new one both use it, so the two can never disagree.
func SplitReference(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

// SplitTagValue splits a tag value as a Helm tag parameter holds it,
// "tag[@digest]" or a bare "sha256:..." digest.
func SplitTagValue(v string) (tag, digest string) {
	if strings.HasPrefix(v, "sha256:") {
		return "", v
	}
	tag, digest, _ = strings.Cut(v, "@")
	return tag, digest
}
