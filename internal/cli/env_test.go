package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func mapEnv(m map[string]string) *envSource {
	return &envSource{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func TestEnvSourceValues(t *testing.T) {
	env := mapEnv(map[string]string{
		"T": "TRUE", "F": "false", "BADB": "yes", "EMPTY": "", "N": " 7 ", "BIG": "11", "NOTN": "x",
		"D": "90s", "BADD": "soon", "NEGD": "-1m", "L": " a, b ,,c ", "S1": "first", "S2": "second",
	})
	if !env.boolean("t", "T", false) || env.boolean("f", "F", true) || !env.boolean("e", "EMPTY", true) || env.boolean("u", "UNSET", false) {
		t.Error("boolean")
	}
	if env.boolean("badb", "BADB", true) != true {
		t.Error("malformed boolean does not keep the default")
	}
	if env.number("n", "N", 1, 1, 10) != 7 || env.number("big", "BIG", 1, 1, 10) != 1 || env.number("notn", "NOTN", 3, 1, 10) != 3 {
		t.Error("number")
	}
	if env.duration("d", "D", time.Minute) != 90*time.Second || env.duration("badd", "BADD", time.Minute) != time.Minute || env.duration("negd", "NEGD", time.Minute) != time.Minute {
		t.Error("duration")
	}
	if got := strings.Join(env.list("L"), "|"); got != "a|b|c" {
		t.Errorf("list %q", got)
	}
	if env.str("def", "S0", "S1", "S2") != "first" || env.str("def", "S2", "S1") != "second" || env.str("def", "EMPTY") != "def" {
		t.Error("str precedence")
	}
	var flags []string
	for _, p := range env.problems {
		flags = append(flags, p.flag)
	}
	if got := strings.Join(flags, ","); got != "badb,big,notn,badd,negd" {
		t.Fatalf("problems for %s", got)
	}
}

func TestEnvSourceCheckSkipsFlagsGiven(t *testing.T) {
	env := mapEnv(map[string]string{"MAX_CONCURRENT_APPS": "lots", "WEBHOOK_PORT": "99999"})
	f := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.Int("max-concurrent-apps", env.number("max-concurrent-apps", "MAX_CONCURRENT_APPS", 10, 1, 100), "")
	f.Int("webhook-port", env.number("webhook-port", "WEBHOOK_PORT", 8082, 0, 65535), "")
	if err := f.Parse([]string{"--max-concurrent-apps", "3"}); err != nil {
		t.Fatal(err)
	}
	err := env.check(f)
	if err == nil || strings.Contains(err.Error(), "MAX_CONCURRENT_APPS") || !strings.Contains(err.Error(), `WEBHOOK_PORT="99999" (default of --webhook-port): want a whole number from 0 to 65535`) {
		t.Fatalf("check: %v", err)
	}
}

func FuzzEnvSource(f *testing.F) {
	for _, s := range []string{"", "true", "FALSE", "7", "-1", "1e3", "90s", " 2m ", "a,b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		env := mapEnv(map[string]string{"K": v})
		n := env.number("n", "K", 5, 1, 10)
		b := env.boolean("b", "K", true)
		d := env.duration("d", "K", time.Minute)
		if n < 1 || n > 10 || d < 0 {
			t.Fatalf("%q: out of range n=%d d=%s", v, n, d)
		}
		// A value is either used or reported, never silently replaced.
		trimmed := strings.TrimSpace(v)
		reported := map[string]bool{}
		for _, p := range env.problems {
			reported[p.flag] = true
		}
		if trimmed != "" && !reported["b"] && b != strings.EqualFold(trimmed, "true") {
			t.Fatalf("%q: boolean %v unreported", v, b)
		}
		if trimmed == "" && len(env.problems) != 0 {
			t.Fatalf("empty value reported: %v", env.problems)
		}
	})
}
