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

// SplitHostedReference splits a reference whose first path part is always
// the registry host, as registry notifications write it
// ("harbor.example.com/project/app:tag", "https://quay.io/ns/app"), into
// host, repository, tag and digest. A leading "scheme://" is dropped. The
// host is everything before the first slash, user information included
// ("user:password@host"), so that callers validating the host reject such a
// reference instead of taking the credentials for a host or a digest; the
// rest is split by SplitReference.
func SplitHostedReference(ref string) (host, repository, tag, digest string) {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "://"); i >= 0 {
		ref = ref[i+3:]
	}
	host, rest, found := strings.Cut(ref, "/")
	if !found {
		return host, "", "", ""
	}
	repository, tag, digest = SplitReference(rest)
	return host, repository, tag, digest
}
