package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
)

func TestCheckResultWriteText(t *testing.T) {
	tests := []struct {
		name string
		res  CheckResult
		want string
	}{
		{
			name: "decisions, commits and problems",
			res: CheckResult{
				Problems: []string{"apps/bad.yaml: bad annotation"},
				Decisions: []Decision{
					{Application: "argocd/web", Image: "web", Action: "update", From: "v1", To: "v2", Reason: "v1 -> v2"},
					{Application: "argocd/db", Image: "redis", Action: "skip", Reason: "held"},
				},
				Commits: []Commit{
					{Repository: "https://git.example.com/a.git", Branch: "main", Commit: "0123456789abcdef"},
					{Repository: "https://git.example.com/b.git", Branch: "dev", Error: "push rejected"},
					{Repository: "https://git.example.com/c.git", Branch: "main"}, // dry run: nothing to say
				},
			},
			want: "problem: apps/bad.yaml: bad annotation\n" +
				"update argocd/web web: v1 -> v2\n" +
				"skip   argocd/db redis: held\n" +
				"https://git.example.com/a.git (main): committed 0123456789ab\n" +
				"https://git.example.com/b.git (dev): FAILED: push rejected\n",
		},
		{name: "nothing matched", res: CheckResult{}, want: "no managed image matched\n"},
		{name: "only a problem", res: CheckResult{Problems: []string{"skipped application x"}}, want: "problem: skipped application x\nno managed image matched\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.res.WriteText(&b)
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestCheckResultFailed(t *testing.T) {
	tests := []struct {
		name string
		res  CheckResult
		want bool
	}{
		{"nothing", CheckResult{}, false},
		{"updates and skips", CheckResult{Decisions: []Decision{{Action: "update"}, {Action: "skip"}}}, false},
		{"an error decision", CheckResult{Decisions: []Decision{{Action: "update"}, {Action: "error"}}}, true},
		{"a problem", CheckResult{Problems: []string{"bad"}}, true},
		{"a failed commit alone is not a decision error", CheckResult{Commits: []Commit{{Error: "rejected"}}}, false},
	}
	for _, tt := range tests {
		if got := tt.res.Failed(); got != tt.want {
			t.Errorf("%s: Failed() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStructuredOutputs(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"trigger result", CheckResult{Decisions: []Decision{{Application: "a/b", Image: "web", Action: "skip", Reason: "r"}}}.Output(),
			`{"apiVersion":"imagepilot.io/v1","kind":"TriggerResult","decisions":[{"application":"a/b","image":"web","action":"skip","reason":"r"}]}`},
		{"no holds: an empty list", HoldList(holds.Set{}),
			`{"apiVersion":"imagepilot.io/v1","kind":"HoldList","holds":[]}`},
		{"one hold", HoldList(holds.Set{Holds: []holds.Hold{{Application: "a/b", Image: "web", Version: "v1", By: "ops", Since: since, Reason: "hot fix"}}}),
			`{"apiVersion":"imagepilot.io/v1","kind":"HoldList","holds":[{"application":"a/b","image":"web","version":"v1","reason":"hot fix","by":"ops","since":"2026-01-02T03:04:05Z"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
}

func TestWriteHoldsTable(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		set  holds.Set
		want string
	}{
		{"empty: only the header", holds.Set{}, "APPLICATION  IMAGE  VERSION  BY  SINCE  REASON\n"},
		{"dashes for an empty version and holder", holds.Set{Holds: []holds.Hold{
			{Application: "argocd/guestbook", Image: "web", Version: "v1.2.3", By: "alice", Since: since, Reason: "hot fix"},
			{Application: "team/api", Image: "ghcr.io/team/api", Since: since},
		}}, "APPLICATION       IMAGE             VERSION  BY     SINCE                 REASON\n" +
			"argocd/guestbook  web               v1.2.3   alice  2026-01-02T03:04:05Z  hot fix\n" +
			"team/api          ghcr.io/team/api  -        -      2026-01-02T03:04:05Z  \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteHoldsTable(&b, tt.set); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestShortCommit(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"abc":                  "abc",
		"0123456789ab":         "0123456789ab",
		"0123456789abc":        "0123456789ab",
		"0123456789abcdef0123": "0123456789ab",
	} {
		if got := ShortCommit(in); got != want {
			t.Errorf("ShortCommit(%q) = %q, want %q", in, got, want)
		}
	}
}
