package yamledit

import (
	"fmt"
	"strings"
	"testing"
)

// bigValues returns a Helm values file of about size bytes: one large flat
// mapping (the shape that made duplicate-key checks quadratic) followed by
// the image block the benchmark edits.
func bigValues(size int) []byte {
	var b strings.Builder
	b.WriteString("# generated\nconfig:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  key%07d: value-%07d\n", i, i)
	}
	b.WriteString("image:\n  repository: example/app\n  tag: v1.0.0\n")
	return []byte(b.String())
}

// BenchmarkSetHelmValue2MB edits the tag of a 2 MB values file.
func BenchmarkSetHelmValue2MB(b *testing.B) {
	data := bigValues(2 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, changed, err := SetHelmValue(data, "image.tag", "v2.0.0"); err != nil || !changed {
			b.Fatalf("changed=%v err=%v", changed, err)
		}
	}
}
