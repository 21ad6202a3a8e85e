package writeback

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*/expected from the current output")

// gChange is one planned image move of a golden case.
type gChange struct {
	app                              string // "name" (namespace argocd) or "namespace/name"
	image                            string // image spec
	kind                             string // the source's kind
	path                             string // the source path
	target                           string // write-back-target
	valueFiles                       []string
	m                                target.Manifest
	old, oldDigest, next, nextDigest string
}

func (c gChange) decision(t testing.TB) updater.Decision {
	t.Helper()
	spec, err := imagespec.Parse(c.image)
	if err != nil {
		t.Fatal(err)
	}
	ref := target.AppRef{Namespace: "argocd", Name: c.app}
	if ns, name, ok := strings.Cut(c.app, "/"); ok {
		ref = target.AppRef{Namespace: ns, Name: name}
	}
	tg := target.Target{App: ref, Image: spec, Manifest: c.m,
		WriteBack: target.WriteBack{Method: target.MethodGit, Target: c.target},
		Source:    target.Source{Path: c.path, Kind: c.kind, ValueFiles: c.valueFiles}}
	if c.nextDigest != "" {
		tg.Policy.Strategy = policy.StrategyDigest
	}
	return updater.Decision{Item: updater.Item{Target: tg, Current: updater.Current{Tag: c.old, Digest: c.oldDigest, Live: true}},
		Action: updater.ActionUpdate, NewTag: c.next, NewDigest: c.nextDigest}
}

const (
	helmKind = target.KindHelm
	kustKind = target.KindKustomize
)

// goldenCases are the changes applied to testdata/golden/<case>/original;
// failed names the applications that must be left out, with their error.
var goldenCases = map[string]struct {
	changes []gChange
	failed  map[string]error
}{
	"kustomize-existing-entry": {changes: []gChange{
		{app: "web", image: "web=registry.example.com/team/web", kind: kustKind, path: "apps/web", target: "kustomization", old: "1.0.0", next: "1.0.1"},
	}},
	"kustomize-new-entry": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: kustKind, path: "apps/web", target: "kustomization", next: "2.1.0"},
	}},
	"kustomize-newname": {changes: []gChange{
		{app: "web", image: "registry.example.com/mirror/app", kind: kustKind, path: "apps/web", target: "kustomization",
			m: target.Manifest{KustomizeName: "app"}, old: "1.0.0", next: "1.1.0"},
	}},
	"kustomize-digest": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: kustKind, path: "apps/web", target: "kustomization",
			old: "latest", oldDigest: digest1, next: "latest", nextDigest: digest2},
	}},
	"kustomization-path": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: kustKind, path: "apps/web/overlays/prod", target: "kustomization:../../base", old: "1.0.0", next: "1.1.0"},
	}},
	"helm-image-tag": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", target: "helmvalues", old: "1.0.0", next: "1.0.1"},
	}},
	"helm-name-and-tag": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", target: "helmvalues", old: "1.0", next: "1.1"},
	}},
	"helm-nested-keys": {changes: []gChange{
		{app: "shop", image: "frontend=registry.example.com/shop/frontend", kind: helmKind, path: "charts/shop", target: "helmvalues",
			m: target.Manifest{HelmName: "frontend.image.repository", HelmTag: "frontend.image.tag"}, old: "v1.4.0", next: "v1.5.0"},
		{app: "shop", image: "backend=registry.example.com/shop/backend", kind: helmKind, path: "charts/shop", target: "helmvalues",
			m: target.Manifest{HelmSpec: "backend.image"}, old: "2.0.0", next: "2.1.0"},
		{app: "shop", image: "worker=registry.example.com/shop/worker", kind: helmKind, path: "charts/shop", target: "helmvalues",
			m: target.Manifest{HelmName: "workers.image.repository", HelmTag: "workers.image.tag"}, next: "0.3.0"},
	}},
	"helmvalues-path": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", target: "helmvalues:/envs/prod/values.yaml", old: "1.0.0", next: "1.2.0"},
	}},
	"helm-multiple-value-files": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", target: "helmvalues:values-prod.yaml",
			valueFiles: []string{"values.yaml", "values-prod.yaml"}, old: "1.0.0", next: "1.0.1"},
		{app: "web-staging", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", target: "helmvalues:values-staging.yaml",
			valueFiles: []string{"values.yaml", "values-staging.yaml"}, old: "1.0.0-rc1", next: "1.0.0-rc2"},
	}},
	"override-new-helm": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", old: "1.0.0", next: "1.0.1"},
		{app: "team-a/api", image: "api=registry.example.com/team/api", kind: helmKind, path: "charts/api", valueFiles: []string{"values.yaml"},
			m: target.Manifest{HelmName: "api.image.repository", HelmTag: "api.image.tag"}, old: "3.1.0", next: "3.2.0"},
	}},
	"override-new-kustomize": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: kustKind, path: "apps/web", old: "1.0.0", next: "1.0.1"},
	}},
	"override-merge-existing": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", old: "1.0.0", next: "1.1.0"},
	}},
	"override-merge-crlf": {changes: []gChange{
		{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", old: "1.0.0", next: "1.1.0"},
	}},
	"multi-app": {changes: []gChange{
		{app: "shop-frontend", image: "registry.example.com/shop/frontend", kind: helmKind, path: "charts/shared", target: "helmvalues",
			m: target.Manifest{HelmName: "frontend.image.repository", HelmTag: "frontend.image.tag"}, old: "v1", next: "v2"},
		{app: "cart", image: "registry.example.com/shop/cart", kind: kustKind, path: "apps/cart", target: "kustomization", old: "2.0.0", next: "2.1.0"},
		{app: "shop-backend", image: "registry.example.com/shop/backend", kind: helmKind, path: "charts/shared", target: "helmvalues",
			m: target.Manifest{HelmName: "backend.image.repository", HelmTag: "backend.image.tag"}, old: "v7", next: "v8"},
		{app: "shop/search", image: "registry.example.com/shop/search", kind: helmKind, path: "charts/search", old: "0.1.0", next: "0.2.0"},
		{app: "report", image: "registry.example.com/shop/report", kind: target.KindPlugin, path: "plugins/report",
			m: target.Manifest{PluginName: "IMAGE_NAME", PluginTag: "IMAGE_TAG"}, next: "1.2.3"},
	}},
	"escape-path": {
		changes: []gChange{
			{app: "web", image: "registry.example.com/team/web", kind: helmKind, path: "charts/web", target: "helmvalues:../../../etc/values.yaml", old: "1.0.0", next: "1.0.1"},
			{app: "api", image: "registry.example.com/team/api", kind: helmKind, path: "charts/api", target: "/../charts/api/values.yaml", old: "1.0.0", next: "1.0.1"},
		},
		failed: map[string]error{"web": ErrTarget, "api": ErrTarget},
	},
	"malformed-existing": {
		changes: []gChange{
			{app: "broken", image: "registry.example.com/team/broken", kind: helmKind, path: "charts/broken", target: "helmvalues", old: "1.0.0", next: "1.0.1"},
			{app: "dup", image: "registry.example.com/team/dup", kind: kustKind, path: "apps/dup", target: "kustomization", old: "1.0.0", next: "1.0.1"},
			{app: "override", image: "registry.example.com/team/override", kind: helmKind, path: "charts/override", old: "1.0.0", next: "1.0.1"},
			{app: "healthy", image: "registry.example.com/team/healthy", kind: helmKind, path: "charts/healthy", target: "helmvalues", old: "1.0.0", next: "1.1.0"},
		},
		failed: map[string]error{"broken": yamledit.ErrParse, "dup": yamledit.ErrParse, "override": yamledit.ErrParse},
	},
}

// TestGoldenTrees copies each case's original tree into a temporary
// checkout, applies the case's changes with the editor GitWriter commits
// with, and compares every file with the expected tree byte for byte. A
// second run on the result must change nothing.
func TestGoldenTrees(t *testing.T) {
	dirs, err := filepath.Glob("testdata/golden/*/original")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(goldenCases) {
		t.Errorf("%d golden trees, %d cases", len(dirs), len(goldenCases))
	}
	for name, tc := range goldenCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden", name)
			root := t.TempDir()
			copyTree(t, filepath.Join(dir, "original"), root)
			var ds []updater.Decision
			for _, c := range tc.changes {
				ds = append(ds, c.decision(t))
			}
			ed := &groupEditor{layout: Layout{ControllerNamespace: "argocd"}, decisions: ds, write: true}
			changed, err := ed.apply(context.Background(), root)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			checkFailures(t, ed.failed, tc.failed)
			if want := len(ds) - failedDecisions(ds, tc.failed); len(ed.applied) != want || len(ed.conflicts) != 0 {
				t.Errorf("applied %d, conflicts %d; want %d applied", len(ed.applied), len(ed.conflicts), want)
			}
			expected := filepath.Join(dir, "expected")
			if *updateGolden {
				if err := os.RemoveAll(expected); err != nil {
					t.Fatal(err)
				}
				copyTree(t, root, expected)
			}
			got, want := readTree(t, root), readTree(t, expected)
			compareTrees(t, got, want)
			if orig := readTree(t, filepath.Join(dir, "original")); changed != !treesEqual(orig, want) {
				t.Errorf("apply reported changed=%v, expected tree differs from original: %v", changed, !treesEqual(orig, want))
			}
			again := &groupEditor{layout: ed.layout, decisions: ed.applied, write: true}
			if changed, err := again.apply(context.Background(), root); err != nil || changed || len(again.failed) > 0 {
				t.Errorf("second apply: changed=%v err=%v failed=%v", changed, err, again.failed)
			}
			compareTrees(t, readTree(t, root), want)
		})
	}
}

func checkFailures(t *testing.T, got []appFailure, want map[string]error) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range got {
		app := f.decisions[0].Target.App.Name
		seen[app] = true
		if w, ok := want[app]; !ok || !errors.Is(f.err, w) {
			t.Errorf("application %s failed with %v, want %v", app, f.err, w)
		}
		if !strings.Contains(f.err.Error(), app) {
			t.Errorf("error does not name application %s: %v", app, f.err)
		}
	}
	for app := range want {
		if !seen[app] {
			t.Errorf("application %s did not fail", app)
		}
	}
}

func failedDecisions(ds []updater.Decision, failed map[string]error) int {
	n := 0
	for _, d := range ds {
		if _, ok := failed[d.Target.App.Name]; ok {
			n++
		}
	}
	return n
}

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	for rel, data := range readTree(t, src) {
		p := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every file under root by slash-separated path; anything
// but a regular file or a directory fails the test.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			t.Errorf("%s is not a regular file", p)
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareTrees(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, inGot := got[n]
		w, inWant := want[n]
		switch {
		case !inGot:
			t.Errorf("%s: missing from the result", n)
		case !inWant:
			t.Errorf("%s: not expected, written:\n%s", n, g)
		case !bytes.Equal(g, w):
			t.Errorf("%s differs:\n--- got\n%q\n--- want\n%q", n, g, w)
		}
	}
}

func treesEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for n, d := range a {
		if e, ok := b[n]; !ok || !bytes.Equal(d, e) {
			return false
		}
	}
	return true
}
