package policy

import (
	"context"
	"testing"
)

func TestAlphabeticalChoose(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		allow    string
		tags     []string
		want     string
		reasons  map[string]string
	}{
		{
			name:     "lexically last",
			strategy: "alphabetical",
			tags:     []string{"2024.01.15", "2024.12.01", "2024.02.28"},
			want:     "2024.12.01",
			reasons:  map[string]string{"2024.01.15": "sorts before 2024.12.01"},
		},
		{
			name:     "byte order, not numeric: 9 after 10",
			strategy: "name",
			tags:     []string{"10", "9"},
			want:     "9",
		},
		{
			name:     "byte order: upper case sorts before lower case",
			strategy: "name",
			tags:     []string{"b", "Z"},
			want:     "b",
		},
		{
			name:     "allow filter",
			strategy: "alphabetical",
			allow:    "regexp:^main-",
			tags:     []string{"main-20240101", "zzz", "main-20240102"},
			want:     "main-20240102",
			reasons:  map[string]string{"zzz": `not matched by allow-tags "regexp:^main-"`},
		},
		{
			name:     "empty",
			strategy: "alphabetical",
			want:     "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, Settings{Strategy: tt.strategy, AllowTags: tt.allow, Constraint: "ignored ~1"})
			res, err := p.Choose(context.Background(), tt.tags, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Tag != tt.want {
				t.Fatalf("got %q, want %q", res.Tag, tt.want)
			}
			checkVerdictInvariants(t, tt.tags, res)
			checkReasons(t, res.Verdicts, tt.reasons)
		})
	}
}
