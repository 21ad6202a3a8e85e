package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// envSource reads the environment variables that give flags their
// defaults (the names Argo CD Image Updater's install manifests set from
// its ConfigMap and Secret). Unlike upstream, which falls back to the
// default on a malformed value, a malformed value is remembered and
// reported by check, unless the flag it feeds was given on the command
// line. An empty value counts as unset, as upstream reads it (an absent
// optional ConfigMap key).
type envSource struct {
	lookup   func(string) (string, bool)
	problems []envProblem
}

type envProblem struct {
	flag string
	err  error
}

// newEnv reads the process environment.
func newEnv() *envSource { return &envSource{lookup: os.LookupEnv} }

// value returns the non-empty value of key.
func (e *envSource) value(key string) (string, bool) {
	lookup := e.lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (e *envSource) fail(flag, key, val, want string) {
	e.problems = append(e.problems, envProblem{flag: flag, err: fmt.Errorf("environment variable %s=%q (default of --%s): want %s", key, val, flag, want)})
}

// str returns the first of keys that is set, else def.
func (e *envSource) str(def string, keys ...string) string {
	for _, k := range keys {
		if v, ok := e.value(k); ok {
			return v
		}
	}
	return def
}

// boolean reads true or false (any case) for flag.
func (e *envSource) boolean(flag, key string, def bool) bool {
	v, ok := e.value(key)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	e.fail(flag, key, v, "true or false")
	return def
}

// number reads an integer in [lo, hi] for flag.
func (e *envSource) number(flag, key string, def, lo, hi int) int {
	v, ok := e.value(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail(flag, key, v, fmt.Sprintf("a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

// duration reads a Go duration (2m, 1h30m) for flag.
func (e *envSource) duration(flag, key string, def time.Duration) time.Duration {
	v, ok := e.value(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail(flag, key, v, "a duration such as 2m or 1h")
		return def
	}
	return d
}

// list reads a comma-separated list.
func (e *envSource) list(key string) []string {
	v, _ := e.value(key)
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// check reports the malformed variables whose flag was not given on the
// command line of f.
func (e *envSource) check(f *pflag.FlagSet) error {
	var errs []error
	for _, p := range e.problems {
		if fl := f.Lookup(p.flag); fl != nil && fl.Changed {
			continue
		}
		errs = append(errs, p.err)
	}
	return errors.Join(errs...)
}
