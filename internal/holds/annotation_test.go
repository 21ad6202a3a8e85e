package holds

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAnnotation(t *testing.T) {
	for name, tc := range map[string]struct {
		value   string
		want    int
		wantErr string
	}{
		"empty":          {"", 0, ""},
		"blank":          {"  \n", 0, ""},
		"one":            {`[{"application":"ns/web","image":"web","version":"1.0","since":"2026-01-01T00:00:00Z"}]`, 1, ""},
		"two":            {`[{"application":"web","image":"a","since":"0001-01-01T00:00:00Z"},{"application":"ns/web","image":"b","since":"0001-01-01T00:00:00Z"}]`, 2, ""},
		"unknown field":  {`[{"application":"ns/web","image":"web","colour":"red","since":"0001-01-01T00:00:00Z"}]`, 0, "colour"},
		"not a list":     {`{"application":"ns/web"}`, 0, "cannot unmarshal"},
		"missing image":  {`[{"application":"ns/web","since":"0001-01-01T00:00:00Z"}]`, 0, "image is required"},
		"trailing data":  {`[] []`, 0, "trailing"},
		"not json":       {`web: pinned`, 0, Annotation},
		"too many slash": {`[{"application":"a/b/c","image":"web","since":"0001-01-01T00:00:00Z"}]`, 0, "namespace/name"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAnnotation(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err %v, want one containing %q wrapping ErrInvalid", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestFormatAnnotationRoundTrips(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []Hold{{Application: "ns/web", Image: "web", Version: "1.0", Reason: "incident 42", By: "ana", Since: since},
		{Application: "ns/web", Image: "api", Since: since}}
	value, err := FormatAnnotation(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseAnnotation(value)
	if err != nil || len(out) != 2 || out[0].Image != "api" || out[1] != in[0] {
		t.Fatalf("%s -> %+v, %v", value, out, err)
	}
	if v, err := FormatAnnotation(nil); v != "" || err != nil {
		t.Fatalf("no holds: %q %v", v, err)
	}
}

func FuzzParseAnnotation(f *testing.F) {
	f.Add(`[{"application":"ns/web","image":"web","version":"1.0","since":"2026-01-01T00:00:00Z"}]`)
	f.Add(`[]`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, value string) {
		hs, err := ParseAnnotation(value)
		if err != nil {
			return
		}
		// What parses formats and parses back to the same holds.
		again, err := FormatAnnotation(hs)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseAnnotation(again)
		if err != nil || len(back) != len(hs) {
			t.Fatalf("%q -> %q -> %v, %v", value, again, back, err)
		}
	})
}
