package holds

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestParseRefusesWhatItWouldIgnore shows a holds file or annotation with
// more than its one value is refused: the rest would otherwise be ignored
// and the images it holds would move.
func TestParseRefusesWhatItWouldIgnore(t *testing.T) {
	const one = `{"application":"ns/web","image":"web","since":"2026-01-01T00:00:00Z"}`
	annotations := []struct {
		name, value, wantErr string
	}{
		{name: "a stray closing bracket", value: "[" + one + "]]", wantErr: "trailing data"},
		{name: "a stray closing brace", value: "[" + one + "]}", wantErr: "trailing data"},
		{name: "a second list", value: "[" + one + "] []", wantErr: "trailing data"},
		{name: "a list and an object", value: "[] " + one, wantErr: "trailing data"},
	}
	for _, tt := range annotations {
		t.Run("annotation: "+tt.name, func(t *testing.T) {
			hs, err := ParseAnnotation(tt.value)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), Annotation) || hs != nil {
				t.Fatalf("ParseAnnotation(%q) = %v, %v; want an invalid-hold error about %s", tt.value, hs, err, tt.wantErr)
			}
		})
	}
	if hs, err := ParseAnnotation("\n [" + one + "]\n\t"); err != nil || len(hs) != 1 {
		t.Fatalf("surrounding whitespace: %v %v", hs, err)
	}

	files := []struct{ name, data string }{
		{name: "a second YAML document", data: "holds: []\n---\nholds:\n- application: ns/web\n  image: web\n"},
		{name: "an empty second document", data: "holds:\n- application: ns/web\n  image: web\n---\n"},
	}
	for _, tt := range files {
		t.Run("file: "+tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.data))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), Path) || len(s.Holds) != 0 {
				t.Fatalf("Parse = %+v, %v; want an invalid-hold error naming %s", s, err, Path)
			}
		})
	}
	if s, err := Parse([]byte("# only a comment\n")); err != nil || len(s.Holds) != 0 {
		t.Fatalf("comment-only file: %+v %v", s, err)
	}
	if s, err := Parse([]byte("---\nholds:\n- application: ns/web\n  image: web\n")); err != nil || len(s.Holds) != 1 {
		t.Fatalf("a leading document marker: %+v %v", s, err)
	}
}

func TestMatches(t *testing.T) {
	aliased, _ := imagespec.Parse("web=reg.example/team/web:~1.2")
	plain, _ := imagespec.Parse("nginx")
	app := target.AppRef{Namespace: "apps", Name: "shop"}
	tests := []struct {
		name string
		hold Hold
		app  target.AppRef
		img  imagespec.Spec
		want bool
	}{
		{name: "namespace/name and alias", hold: Hold{Application: "apps/shop", Image: "web"}, app: app, img: aliased, want: true},
		{name: "bare name in any namespace", hold: Hold{Application: "shop", Image: "web"}, app: target.AppRef{Namespace: "other", Name: "shop"}, img: aliased, want: true},
		{name: "another namespace", hold: Hold{Application: "ops/shop", Image: "web"}, app: app, img: aliased},
		{name: "a namespaced hold on an application without namespace", hold: Hold{Application: "apps/shop", Image: "web"}, app: target.AppRef{Name: "shop"}, img: aliased},
		{name: "the image as written, not its constraint", hold: Hold{Application: "shop", Image: "reg.example/team/web"}, app: app, img: aliased, want: true},
		{name: "the image with its constraint", hold: Hold{Application: "shop", Image: "reg.example/team/web:~1.2"}, app: app, img: aliased},
		{name: "a Docker Hub image by its full name", hold: Hold{Application: "shop", Image: "docker.io/library/nginx"}, app: app, img: plain, want: true},
		{name: "a Docker Hub image by its short name", hold: Hold{Application: "shop", Image: "nginx"}, app: app, img: plain, want: true},
		{name: "an empty hold image never matches an alias-less image", hold: Hold{Application: "shop", Image: ""}, app: app, img: plain},
		{name: "application names compare exactly", hold: Hold{Application: "Shop", Image: "web"}, app: app, img: aliased},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Matches(tt.hold, tt.app, tt.img); got != tt.want {
				t.Fatalf("Matches = %v, want %v", got, tt.want)
			}
			_, found := (Set{Holds: []Hold{{Application: "x", Image: "y"}, tt.hold}}).Find(tt.app, tt.img)
			if found != tt.want {
				t.Fatalf("Find = %v, want %v", found, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	since := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		hold Hold
		want string
	}{
		{name: "nothing but the hold", want: "pinned (imagepilot release to resume updates)"},
		{name: "every field, the time in UTC", hold: Hold{Version: "1.2.0", By: "ana", Since: since, Reason: "incident 7"},
			want: "pinned at 1.2.0 by ana since 2026-03-01T09:00:00Z: incident 7 (imagepilot release to resume updates)"},
		{name: "a reason only", hold: Hold{Reason: "freeze"}, want: "pinned: freeze (imagepilot release to resume updates)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hold.Describe(); got != tt.want {
				t.Fatalf("Describe() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMarshalSortsAndComments(t *testing.T) {
	s := Set{Holds: []Hold{{Application: "b", Image: "x"}, {Application: "a", Image: "z"}, {Application: "a", Image: "y"}}}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasPrefix(text, "# Images imagepilot must not move.") {
		t.Fatalf("no header comment:\n%s", text)
	}
	ay, az, bx := strings.Index(text, `image: "y"`), strings.Index(text, "image: z"), strings.Index(text, "image: x")
	if ay < 0 || ay > az || az > bx {
		t.Fatalf("holds not sorted by application and image:\n%s", text)
	}
	var empty Set
	if data, err := empty.Marshal(); err != nil || !strings.Contains(string(data), "holds: []") {
		t.Fatalf("empty set: %q %v", data, err)
	}
}
