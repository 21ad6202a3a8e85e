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

	yaml "gopkg.in/yaml.v3"
	sigyaml "sigs.k8s.io/yaml"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// maxManifestSize skips files too large to be hand-written manifests.
const maxManifestSize = 4 << 20

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
	var apps []Application
	var errs []error
	start := filepath.Join(root, filepath.FromSlash(dir))
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
		found, err := loadFile(p)
		for i := range found {
			found[i].File = rel(root, p)
		}
		apps = append(apps, found...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel(root, p), err))
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, walkErr)
	}
	return apps, errs
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

// loadFile returns the Applications of a (multi-document) YAML file.
func loadFile(p string) ([]Application, error) {
	st, err := os.Stat(p)
	if err != nil || st.Size() > maxManifestSize {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return parseApplications(data)
}

// parseApplications returns the Applications of a (multi-document) YAML
// document stream; documents of other kinds are ignored.
func parseApplications(data []byte) ([]Application, error) {
	if !bytes.Contains(data, []byte("Application")) {
		return nil, nil
	}
	var apps []Application
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return apps, nil
		}
		if err != nil {
			return apps, fmt.Errorf("document %d: %w", doc, err)
		}
		var h header
		if node.Decode(&h) != nil || h.Kind != "Application" || !strings.HasPrefix(h.APIVersion, "argoproj.io/") {
			continue
		}
		app, err := decodeApplication(&node)
		if err != nil {
			return apps, fmt.Errorf("document %d (Application): %w", doc, err)
		}
		apps = append(apps, Application{Application: app})
	}
}

func decodeApplication(node *yaml.Node) (argocd.Application, error) {
	raw, err := yaml.Marshal(node)
	if err != nil {
		return argocd.Application{}, err
	}
	var app argocd.Application
	if err := sigyaml.Unmarshal(raw, &app); err != nil {
		return argocd.Application{}, err
	}
	if app.Name == "" {
		return argocd.Application{}, errors.New("metadata.name is missing")
	}
	return app, nil
}
