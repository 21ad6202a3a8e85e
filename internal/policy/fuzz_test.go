package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func FuzzCompile(f *testing.F) {
	f.Add("semver", "~1.2", "regexp:^v", "*-rc,latest", "linux/amd64", "v1.2.3,1.2.4,latest")
	f.Add("latest", "", "any", "", "", "a,b")
	f.Add("digest", "latest", "", "[", "linux/arm/v7", "latest,stable")
	f.Add("name", "", "regexp:([", "", "linux", "")
	f.Add("bogus", "2.x-0", "", "*", "a/b/c/d", "2.0.0-rc.1")
	f.Fuzz(func(t *testing.T, strategy, constraint, allow, ignore, platforms, tags string) {
		s := Settings{
			Strategy:   strategy,
			Constraint: constraint,
			AllowTags:  allow,
			IgnoreTags: strings.Split(ignore, ","),
			Platforms:  strings.Split(platforms, ","),
		}
		p, err := Compile(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidSettings) {
				t.Fatalf("Compile error %v does not wrap ErrInvalidSettings", err)
			}
			return
		}
		list := strings.Split(tags, ",")
		md := &fakeMetadata{
			images:  map[string][]fakeImage{},
			digests: map[string]string{},
		}
		for i, tag := range list {
			md.images[tag] = single(1 + i%28)
			md.digests[tag] = "sha256:" + tag
		}
		// Platforms from fuzzing may not match the fake's linux/amd64 images,
		// so newest-build may fail; it must not panic.
		res, err := p.Choose(context.Background(), list, md)
		if err != nil {
			return
		}
		if len(res.Verdicts) < len(list) {
			t.Fatalf("%d verdicts for %d tags", len(res.Verdicts), len(list))
		}
		if res.Found && res.Tag == "" {
			t.Fatal("found an empty tag")
		}
		_, _ = p.IsNewer(list[0], list[len(list)-1])
	})
}
