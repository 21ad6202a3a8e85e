package registryconf

import (
	"strings"
	"testing"
	"time"
)

// TestParseScalarForms parses the accepted spellings of each typed value.
func TestParseScalarForms(t *testing.T) {
	tests := []struct {
		key, value string
		get        func(Registry) any
		want       any
	}{
		{"insecure", "y", func(r Registry) any { return r.Insecure }, true},
		{"insecure", "TRUE", func(r Registry) any { return r.Insecure }, true},
		{"insecure", "on", func(r Registry) any { return r.Insecure }, true},
		{"insecure", "n", func(r Registry) any { return r.Insecure }, false},
		{"insecure", "Off", func(r Registry) any { return r.Insecure }, false},
		{"insecure", "'false'", func(r Registry) any { return r.Insecure }, false},
		{"credsexpire", "1h30m", func(r Registry) any { return r.CredsExpire }, 90 * time.Minute},
		{"credsexpire", "0", func(r Registry) any { return r.CredsExpire }, time.Duration(0)},
		{"credsexpire", "'600'", func(r Registry) any { return r.CredsExpire }, 10 * time.Minute},
		{"limit", "0", func(r Registry) any { return r.Limit }, 0.0},
		{"limit", "1e2", func(r Registry) any { return r.Limit }, 100.0},
		{"tagsortmode", "latest-last", func(r Registry) any { return r.TagSortMode }, TagSortLatestLast},
		{"tagsortmode", "none", func(r Registry) any { return r.TagSortMode }, TagSortNone},
		{"credentials", "'provider:aws?account=123456789012&region=eu-west-1'", func(r Registry) any { return r.Credentials }, "provider:aws?account=123456789012&region=eu-west-1"},
		{"defaultns", "'library'", func(r Registry) any { return r.DefaultNS }, "library"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			cfg := mustParse(t, "registries:\n- name: r\n  api_url: https://ecr.corp.example\n  prefix: ecr.corp.example\n  "+tt.key+": "+tt.value+"\n")
			if got := tt.get(cfg.Registries[0]); got != tt.want {
				t.Errorf("%s: %s gives %#v, want %#v", tt.key, tt.value, got, tt.want)
			}
		})
	}
}

func TestParseEntryMissingEverythingReportsEachField(t *testing.T) {
	got := parseErr(t, "registries:\n- {insecure: true}\n")
	for _, want := range []string{
		"registries.conf:2:3: registry #1: name is required",
		"registries.conf:2:3: registry #1: api_url is required",
		"registries.conf:2:3: registry #1: prefix is required\n",
	} {
		if !strings.Contains(got+"\n", want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

func TestParseProviderIsCheckedOnlyWithAPrefix(t *testing.T) {
	// Without a prefix there is no host to check the provider against:
	// the missing prefix is the one error, not a provider error.
	got := parseErr(t, "registries:\n- name: r\n  api_url: https://registry.example.com\n  credentials: provider:auto\n")
	if strings.Contains(got, "credentials:") || !strings.Contains(got, "prefix is required (e.g. prefix: registry.example.com)") {
		t.Fatalf("errors:\n%s", got)
	}
}
