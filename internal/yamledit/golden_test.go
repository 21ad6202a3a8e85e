package yamledit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*/expected.yaml from the current output")

// edit is one operation applied to a golden case's input, in order.
type edit func(data []byte) ([]byte, bool, error)

func helmSet(key, value string) edit {
	return func(d []byte) ([]byte, bool, error) { return SetHelmValue(d, key, value) }
}

func kustomizeSet(name, newName, newTag, digest string) edit {
	return func(d []byte) ([]byte, bool, error) { return SetKustomizeImage(d, name, newName, newTag, digest) }
}

func sourceMerge(params []HelmParam, images ...string) edit {
	return func(d []byte) ([]byte, bool, error) {
		var imgs []KustomizeImage
		for _, s := range images {
			img, err := ParseKustomizeImage(s)
			if err != nil {
				return nil, false, err
			}
			imgs = append(imgs, img)
		}
		return MergeSourceOverride(d, params, imgs)
	}
}

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

var goldenCases = map[string][]edit{
	"helm-bitnami": {
		helmSet("image.tag", "1.25.4-debian-11-r0"),
		helmSet("image.digest", digestA),
		helmSet("cloneStaticSiteFromGit.image.tag", "2.43.1"),
	},
	"helm-indent4": {
		helmSet("frontend.image.tag", "v4"),
		helmSet("frontend.image.pullPolicy", "Always"),
		helmSet("redis.image.tag", "7.2"),
	},
	"helm-lists": {
		helmSet("containers[0].image", "ghcr.io/example/app:1.1.0"),
		helmSet("containers[1].image", "ghcr.io/example/sidecar:0.4"),
		helmSet("containers[0].ports[0]", "9090"),
		helmSet("initContainers[0].imagePullPolicy", "Always"),
	},
	"helm-anchors": {
		helmSet("api.image.tag", "2.1.0"),
		helmSet("worker.image.tag", "2.1.0"),
		helmSet("api.pullPolicy", "Always"),
	},
	"helm-multidoc": {
		helmSet("image.tag", "1.10"),
		helmSet("replicaCount", "2"),
	},
	"helm-crlf": {
		helmSet("image.tag", "1.0.1"),
		helmSet("image.digest", digestA),
		helmSet("service.annotations.owner", "team-a"),
	},
	"helm-quoted": {
		helmSet("plain.tag", "1.10"),
		helmSet("single.tag", "1.10"),
		helmSet("double.tag", "1.10"),
		helmSet("empty.tag", "v2"),
		helmSet("nulled.tag", "true"),
	},
	"helm-blockscalars": {
		helmSet("image.tag", "v2"),
		helmSet("sidecar.image", "busybox:1.36"),
		helmSet("notes", "short"),
	},
	"helm-dotted-keys": {
		helmSet(`podAnnotations.example\.com/image-tag`, "v2"),
		helmSet(`podAnnotations.other\.io/x`, "y"),
	},
	"helm-windows": {
		helmSet("replicaCount", "3"),
		helmSet("image.tag", "1.0.1"),
		helmSet("image.pullPolicy", "Always"),
	},
	"kustomize-windows": {
		kustomizeSet("app", "", "1.0.1", ""),
		kustomizeSet("app", "registry.example.com/team/app", "", digestA),
		kustomizeSet("sidecar", "", "0.9", ""),
	},
	"kustomize-comments": {
		kustomizeSet("registry.example.com/team/app", "", "1.0.1", ""),
		kustomizeSet("nginx", "nginx", "1.25.4", ""),
	},
	"kustomize-newname": {
		kustomizeSet("app", "registry.example.com/other/app", "1.1.0", ""),
		kustomizeSet("worker", "registry.example.com/team/worker", "2.1.0", ""),
	},
	"kustomize-digest": {
		kustomizeSet("app", "", "", digestA),
		kustomizeSet("cache", "", "7.2", digestA),
	},
	"kustomize-absent-images": {
		kustomizeSet("registry.example.com/team/app", "", "1.0.1", ""),
	},
	"kustomize-absent-entry": {
		kustomizeSet("registry.example.com/team/app", "registry.example.com/team/app", "1.0.1", ""),
	},
	"source-new-helm": {
		sourceMerge([]HelmParam{
			{Name: "frontend.image.tag", Value: "v4", ForceString: true},
			{Name: "frontend.image.repository", Value: "registry.cn-hongkong.aliyuncs.com/haoshuwei24/guestbook", ForceString: true},
		}),
	},
	"source-new-kustomize": {
		sourceMerge(nil, "registry.example.com/team/app:1.0.1"),
	},
	"source-merge-unmanaged": {
		sourceMerge([]HelmParam{
			{Name: "frontend.image.tag", Value: "v4", ForceString: true},
			{Name: "frontend.image.name", Value: "example/frontend", ForceString: true},
		}),
	},
	"source-merge-kustomize": {
		sourceMerge(nil, "nginx=registry.example.com/mirror/nginx:1.25.4", "registry.example.com/team/app:1.0.0", "redis:7.2"),
	},
	"source-unchanged": {
		sourceMerge([]HelmParam{
			{Name: "frontend.image.tag", Value: "v4", ForceString: true},
		}),
	},
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(goldenCases) {
		t.Errorf("%d testdata cases, %d in goldenCases", len(dirs), len(goldenCases))
	}
	for name, edits := range goldenCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			data, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for i, apply := range edits {
				out, changed, err := apply(data)
				if err != nil {
					t.Fatalf("edit %d: %v", i, err)
				}
				if changed == bytes.Equal(out, data) {
					t.Errorf("edit %d: changed=%v but output equal to input=%v", i, changed, bytes.Equal(out, data))
				}
				data = out
			}
			expectedPath := filepath.Join(dir, "expected.yaml")
			if *update {
				if err := os.WriteFile(expectedPath, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(expectedPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", expectedPath, data, want)
			}
		})
	}
}
