// Package image holds the integration test of the container image that
// hack/image.sh builds without a container engine: TestMain builds it once,
// the tests push it to the real docker-registry with crane, pull it back
// with go-containerregistry, unpack its root filesystem and run imagepilot,
// git, ssh and gpg inside it with chroot as the image's numeric user.
//
// The tests need root (chroot, mknod, file ownership) and mmdebstrap (or a
// warm base cache); without them they skip and say why. CI runs as root on
// Debian and hack/test.sh installs mmdebstrap.
package image
