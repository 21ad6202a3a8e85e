package holds

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
)

func TestRoundTripAndMatching(t *testing.T) {
	var s Set
	since := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	s.Put(Hold{Application: "argocd/guestbook", Image: "guestbook", Version: "v2", Reason: "incident 42", By: "alice", Since: since})
	s.Put(Hold{Application: "web", Image: "registry.example.com/team/web", Since: since})
	s.Put(Hold{Application: "argocd/guestbook", Image: "guestbook", Version: "v3", Since: since}) // replaces
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(got.Holds) != 2 || got.Holds[0].Application != "argocd/guestbook" || got.Holds[0].Version != "v3" {
		t.Fatalf("holds: %+v", got.Holds)
	}
	gb, _ := imagespec.Parse("guestbook=registry.example.com/team/guestbook")
	web, _ := imagespec.Parse("registry.example.com/team/web")
	if _, ok := got.Find(target.AppRef{Namespace: "argocd", Name: "guestbook"}, gb); !ok {
		t.Error("alias hold not found")
	}
	if _, ok := got.Find(target.AppRef{Namespace: "other", Name: "guestbook"}, gb); ok {
		t.Error("hold for argocd/guestbook matched other/guestbook")
	}
	if _, ok := got.Find(target.AppRef{Namespace: "any", Name: "web"}, web); !ok {
		t.Error("bare-name hold not found")
	}
	if !got.Remove("web", "registry.example.com/team/web") || got.Remove("web", "registry.example.com/team/web") {
		t.Error("Remove")
	}
	if d := got.Holds[0].Describe(); !strings.Contains(d, "pinned at v3") {
		t.Errorf("Describe: %s", d)
	}
}

func TestParseErrors(t *testing.T) {
	for name, data := range map[string]string{
		"unknown key":     "holds:\n- application: a\n  image: b\n  colour: red\n",
		"missing image":   "holds:\n- application: a\n",
		"bad application": "holds:\n- application: a/b/c\n  image: x\n",
		"not yaml":        "holds: [\n",
	} {
		if _, err := Parse([]byte(data)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if s, err := Parse(nil); err != nil || len(s.Holds) != 0 {
		t.Errorf("empty file: %v %v", s, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("holds:\n- application: argocd/a\n  image: b\n  version: v1\n  since: 2026-01-01T00:00:00Z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil || len(again.Holds) != len(s.Holds) {
			t.Fatalf("round trip: %v (%d vs %d)\n%s", err, len(again.Holds), len(s.Holds), out)
		}
	})
}
