package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// binaryPath is where the image holds imagepilot; it is the entrypoint.
const binaryPath = "/usr/local/bin/imagepilot"

// searchPath is the PATH of the container: the binary shells out to git,
// ssh and gpg, which Debian installs under /usr/bin.
const searchPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildImage stacks the base root filesystem and the binary layer on an empty
// OCI image and sets its configuration.
func buildImage(ctx context.Context, o options) (v1.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	base, err := tarball.LayerFromFile(o.base, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("base layer %s: %w", o.base, err)
	}
	bin, err := binaryLayer(o.binary, o.created)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := v1.Time{Time: o.created}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{Created: created, CreatedBy: "mmdebstrap", Comment: o.baseComment}},
		mutate.Addendum{Layer: bin, MediaType: types.OCILayer, History: v1.History{Created: created, CreatedBy: "COPY imagepilot " + binaryPath}},
	)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}
	return configure(img, o)
}

// configure sets the runtime configuration and labels.
func configure(img v1.Image, o options) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Created = v1.Time{Time: o.created}
	cf.Config.User = o.user
	cf.Config.Entrypoint = []string{binaryPath}
	cf.Config.Cmd = nil
	cf.Config.Env = []string{searchPath, "HOME=" + o.home}
	cf.Config.WorkingDir = o.workdir
	cf.Config.Labels = labels(o)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}

// labels are the OCI annotation keys, set as image labels.
func labels(o options) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "imagepilot",
		"org.opencontainers.image.description": "Keeps GitOps deployments on the newest container images",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.created":     o.created.Format("2006-01-02T15:04:05Z"),
	}
}

// checkNumericUser accepts "uid:gid" with both numeric and uid not 0, so
// Kubernetes can enforce runAsNonRoot without reading /etc/passwd.
func checkNumericUser(user string) error {
	uid, gid, ok := strings.Cut(user, ":")
	if !ok {
		return fmt.Errorf("--user %q: want numeric uid:gid", user)
	}
	for _, part := range []string{uid, gid} {
		if _, err := strconv.ParseUint(part, 10, 32); err != nil {
			return fmt.Errorf("--user %q: want numeric uid:gid", user)
		}
	}
	if uid == "0" {
		return fmt.Errorf("--user %q: the image must not run as root", user)
	}
	return nil
}
