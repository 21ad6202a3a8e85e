package writeback

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadCacheParsesEachContentOnce(t *testing.T) {
	root := checkout(t, map[string]string{"c/values.yaml": bigValuesFile(64<<10, 3)})
	l := NewLayout("argocd")
	for round := 0; round < 2; round++ {
		for i := 0; i < 3; i++ {
			d := helmUpdate(t, "app", fmt.Sprintf("reg/img%d", i), "c", fmt.Sprintf("img%d", i), "v1", "v2")
			v, _, found, err := l.Current(root, d.Target)
			if err != nil || !found || v.Tag != "v1" || v.Name != fmt.Sprintf("reg/img%d", i) {
				t.Fatalf("Current(img%d) = %+v, %v, %v", i, v, found, err)
			}
		}
	}
	if l.Cache.parses != 1 {
		t.Fatalf("parsed %d times, want 1", l.Cache.parses)
	}
	// Changed content is a new entry, not a stale read.
	writeFile(t, root, "c/values.yaml", strings.Replace(bigValuesFile(64<<10, 3), "tag: v1", "tag: v9", 1))
	d := helmUpdate(t, "app", "reg/img0", "c", "img0", "v1", "v2")
	if v, _, _, err := l.Current(root, d.Target); err != nil || v.Tag != "v9" {
		t.Fatalf("after change: %+v, %v", v, err)
	}
}

func TestReadCacheBound(t *testing.T) {
	c := NewReadCache(100)
	d := helmUpdate(t, "app", "reg/img0", "c", "img0", "v1", "v2")
	for i := 0; i < 10; i++ {
		data := []byte(fmt.Sprintf("img0:\n  repository: reg/img0\n  tag: v%d\n# padding %s\n", i, strings.Repeat("x", 30)))
		if v, ok, err := c.read(FileHelmValues, d.Target, data); err != nil || !ok || v.Tag != fmt.Sprintf("v%d", i) {
			t.Fatalf("read %d = %+v %v %v", i, v, ok, err)
		}
		if c.size > 100 {
			t.Fatalf("cache holds %d bytes, bound 100", c.size)
		}
	}
	if _, _, err := c.read(FileHelmValues, d.Target, []byte("img0: [\n")); err == nil {
		t.Fatal("parse error not returned")
	}
}

func writeFile(t *testing.T, root, name, content string) {
	t.Helper()
	checkoutInto(t, root, map[string]string{name: content})
}
