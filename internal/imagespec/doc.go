// Package imagespec parses the image specifications users write in the
// image-list annotation and in ImageUpdater objects:
//
//	[alias=]image[:constraint][@digest]
//
// The image part is a container image name as Docker understands it: a name
// without a registry host is on Docker Hub (nginx is docker.io/library/nginx);
// the first path component is a host when it contains a dot or a colon or is
// "localhost". The constraint is not parsed here: it is a semver constraint for
// the semver strategy (which is why the parser does not insist on a valid tag:
// "~1.26", ">=1.2 <2" and "2.x-0" are fine), the followed tag for the digest
// strategy, or the tag currently in use for a live image reference.
package imagespec
