// Command imagebuild assembles imagepilot's container image without a
// container engine: it takes a root filesystem tarball built from Debian
// packages (hack/image.sh makes it with mmdebstrap), adds a layer holding the
// static imagepilot binary, sets the image configuration (numeric non-root
// user, entrypoint, PATH, working directory, OCI labels) and writes the result
// as an OCI image layout directory and/or a tarball that `crane push` and
// `docker load` accept.
//
// Usage:
//
//	go run ./hack/imagebuild --base rootfs.tar.gz --binary bin/imagepilot \
//	    --version v1.2.3 --revision <sha> --ref ghcr.io/imagepilot/imagepilot:v1.2.3 \
//	    --layout bin/image/oci --tar bin/image/imagepilot.tar
//
// On success it prints key=value lines (digest, compressed_bytes,
// uncompressed_bytes) on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"time"
)

// options are the command line of imagebuild.
type options struct {
	base, baseComment string
	binary            string
	version, revision string
	source            string
	created           time.Time
	user, workdir     string
	home              string
	arch              string
	ref               string
	layout, tarball   string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

// run parses args, builds the image and writes it where the flags say.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	img, err := buildImage(ctx, opts)
	if err != nil {
		return err
	}
	if err := writeOutputs(img, opts); err != nil {
		return err
	}
	return printSummary(stdout, img)
}

func parseFlags(args []string) (options, error) {
	var o options
	var created string
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	fs.StringVar(&o.base, "base", "", "root filesystem tarball (tar or tar.gz) for the base layer (required)")
	fs.StringVar(&o.baseComment, "base-comment", "root filesystem from Debian packages", "history comment of the base layer")
	fs.StringVar(&o.binary, "binary", "", "static imagepilot binary (required)")
	fs.StringVar(&o.version, "version", "", "version stamped in the labels (required, never \"dev\")")
	fs.StringVar(&o.revision, "revision", "", "source commit stamped in the labels (required)")
	fs.StringVar(&o.source, "source", "https://github.com/imagepilot/imagepilot", "source repository label")
	fs.StringVar(&created, "created", os.Getenv("SOURCE_DATE_EPOCH"), "creation time in Unix seconds (default $SOURCE_DATE_EPOCH, else now)")
	fs.StringVar(&o.user, "user", "65532:65532", "numeric uid:gid the container runs as")
	fs.StringVar(&o.home, "home", "/home/imagepilot", "HOME of that user")
	fs.StringVar(&o.workdir, "workdir", "/home/imagepilot", "working directory")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "image architecture (must match the base and the binary)")
	fs.StringVar(&o.ref, "ref", "", "image reference recorded in the layout and the tarball (required)")
	fs.StringVar(&o.layout, "layout", "", "write an OCI image layout to this directory")
	fs.StringVar(&o.tarball, "tar", "", "write a docker/crane tarball to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() != 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	t, err := parseCreated(created)
	if err != nil {
		return o, err
	}
	o.created = t
	return o, o.validate()
}

func parseCreated(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("--created %q: want Unix seconds", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func (o options) validate() error {
	var errs []error
	for _, req := range []struct{ flag, value string }{
		{"--base", o.base}, {"--binary", o.binary}, {"--version", o.version},
		{"--revision", o.revision}, {"--ref", o.ref},
	} {
		if req.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", req.flag))
		}
	}
	if o.version == "dev" {
		errs = append(errs, errors.New(`--version "dev" is not a release version (use git describe --tags --always --dirty)`))
	}
	if o.layout == "" && o.tarball == "" {
		errs = append(errs, errors.New("nothing to write: give --layout and/or --tar"))
	}
	if err := checkNumericUser(o.user); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
