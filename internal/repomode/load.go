package repomode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	sigyaml "sigs.k8s.io/yaml"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// maxManifestSize skips files too large to be hand-written manifests.
const maxManifestSize = 4 << 20

// Manifests are the objects imagepilot reads from a repository.
type Manifests struct {
	// Applications are Argo CD Applications.
	Applications []Application
	// ImageUpdaters are ImageUpdater objects (v1.x configuration).
	ImageUpdaters []ImageUpdater
	// Skipped are YAML files that were not read, with the reason.
	Skipped []SkippedFile
}

// SkippedFile is a YAML file Load did not read as manifests.
type SkippedFile struct {
	// File is the path relative to the repository root.
	File string
	// Reason says why.
	Reason string
	// Warn marks files that may hold configuration imagepilot now ignores
	// (too large); the others (templates) are expected and logged at debug.
	Warn bool
}

// ImageUpdater is an ImageUpdater manifest found in the repository.
type ImageUpdater struct {
	v1alpha1.ImageUpdater
	// File is the manifest's path relative to the repository root.
	File string
}

// Application is an Application manifest found in the repository.
type Application struct {
	argocd.Application
	// File is the manifest's path relative to the repository root.
	File string
}

// LoadApplications reads every Application manifest under dir (relative to
// root; "" = everything), skipping .git. A file that does not parse is
// reported and skipped; the others still load.
func LoadApplications(root, dir string) ([]Application, []error) {
	m, errs := Load(root, dir)
	return m.Applications, errs
}

// Load reads every Application and ImageUpdater manifest under dir (relative
// to root; "" = everything), skipping .git. A file that does not parse is
// reported and skipped; the others still load.
//
// A dir that is not a directory of the repository is an *AppsPathError,
// alone: nothing is read.
func Load(root, dir string) (Manifests, []error) {
	var m Manifests
	var errs []error
	start := filepath.Join(root, filepath.FromSlash(dir))
	if dir != "" {
		if fi, err := os.Stat(start); err != nil || !fi.IsDir() {
			return m, []error{&AppsPathError{Path: dir}}
		}
	}
	walkErr := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", rel(root, p), err))
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if !isYAML(d.Name()) || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		found, skip, err := loadFile(root, p)
		if skip != "" {
			m.Skipped = append(m.Skipped, SkippedFile{File: rel(root, p), Reason: skip, Warn: !strings.HasPrefix(skip, templateReason)})
			return nil
		}
		for i := range found.Applications {
			found.Applications[i].File = rel(root, p)
		}
		for i := range found.ImageUpdaters {
			found.ImageUpdaters[i].File = rel(root, p)
		}
		m.Applications = append(m.Applications, found.Applications...)
		m.ImageUpdaters = append(m.ImageUpdaters, found.ImageUpdaters...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel(root, p), err))
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, walkErr)
	}
	return m, errs
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

// loadFile returns the manifests of a (multi-document) YAML file, or why
// it was skipped: too large to be a hand-written manifest, or a template
// (see templateFile).
func loadFile(root, p string) (Manifests, string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return Manifests{}, "", err
	}
	if st.Size() > maxManifestSize {
		return Manifests{}, fmt.Sprintf("not read: %d bytes, more than the %d MiB a manifest may have; Applications in it are ignored", st.Size(), maxManifestSize>>20), nil
	}
	f, err := os.Open(p)
	if err != nil {
		return Manifests{}, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return Manifests{}, "", err
	}
	if len(data) > maxManifestSize {
		return Manifests{}, fmt.Sprintf("not read: more than the %d MiB a manifest may have; Applications in it are ignored", maxManifestSize>>20), nil
	}
	m, err := parseManifests(data)
	if why := templateFile(root, p, data, m, err); why != "" {
		return Manifests{}, why, nil
	}
	return m, "", err
}

// parseApplications returns the Applications of a YAML document stream.
func parseApplications(data []byte) ([]Application, error) {
	m, err := parseManifests(data)
	return m.Applications, err
}

// parseManifests returns the Applications and ImageUpdaters of a
// (multi-document) YAML document stream; other kinds are ignored.
func parseManifests(data []byte) (Manifests, error) {
	var m Manifests
	if !bytes.Contains(data, []byte("Application")) && !bytes.Contains(data, []byte("ImageUpdater")) {
		return m, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return m, fmt.Errorf("document %d: %w", doc, err)
		}
		var h header
		if node.Decode(&h) != nil {
			continue
		}
		switch {
		case h.Kind == "Application" && strings.HasPrefix(h.APIVersion, "argoproj.io/"):
			var app argocd.Application
			if err := decodeNamed(&node, &app, &app.ObjectMeta); err != nil {
				return m, fmt.Errorf("document %d (Application): %w", doc, err)
			}
			m.Applications = append(m.Applications, Application{Application: app})
		case h.Kind == "ImageUpdater" && strings.HasPrefix(h.APIVersion, v1alpha1.GroupName+"/"):
			var iu v1alpha1.ImageUpdater
			if err := decodeNamed(&node, &iu, &iu.ObjectMeta); err != nil {
				return m, fmt.Errorf("document %d (ImageUpdater): %w", doc, err)
			}
			m.ImageUpdaters = append(m.ImageUpdaters, ImageUpdater{ImageUpdater: iu})
		}
	}
}

// decodeNamed decodes a YAML node into a Kubernetes object, which must
// have a name.
func decodeNamed(node *yaml.Node, obj any, meta *metav1.ObjectMeta) error {
	raw, err := yaml.Marshal(node)
	if err != nil {
		return err
	}
	if err := sigyaml.Unmarshal(raw, obj); err != nil {
		return err
	}
	if meta.Name == "" {
		return errors.New("metadata.name is missing")
	}
	return nil
}

// ErrAppsPath is wrapped by every *AppsPathError.
var ErrAppsPath = errors.New("apps path is not a directory of the repository")

// AppsPathError says that the --apps-path directory is not in the
// repository; it names the path as given, never where the working copy is.
type AppsPathError struct {
	// Path is the directory as given, relative to the repository root.
	Path string
}

// Error says what is wrong and what to give instead.
func (e *AppsPathError) Error() string {
	return fmt.Sprintf("--apps-path %s: no such directory in the repository (give a directory relative to the repository root, or leave --apps-path out to read every file)", e.Path)
}

// Unwrap returns ErrAppsPath.
func (e *AppsPathError) Unwrap() error { return ErrAppsPath }
