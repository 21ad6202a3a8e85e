package yamledit

import (
	"testing"
)

func TestMergePluginOverride(t *testing.T) {
	for name, tc := range map[string]struct {
		existing, want string
		env            []EnvVar
		changed        bool
	}{
		"new file": {
			env:     []EnvVar{{"IMAGE", "reg.example/app:1.2.3"}},
			want:    "plugin:\n  env:\n  - name: IMAGE\n    value: reg.example/app:1.2.3\n",
			changed: true,
		},
		"merge by name, keep others and order": {
			existing: "helm:\n  parameters:\n  - name: a\n    value: b\n    forcestring: true\nplugin:\n  env:\n  - name: OTHER\n    value: x\n  - name: TAG\n    value: 1.0.0\n",
			env:      []EnvVar{{"TAG", "1.1.0"}, {"NAME", "reg.example/app"}},
			want:     "helm:\n  parameters:\n  - name: a\n    value: b\n    forcestring: true\nplugin:\n  env:\n  - name: OTHER\n    value: x\n  - name: TAG\n    value: 1.1.0\n  - name: NAME\n    value: reg.example/app\n",
			changed:  true,
		},
		"unchanged": {
			existing: "plugin:\n  env:\n  - name: TAG\n    value: \"1.0\"\n",
			env:      []EnvVar{{"TAG", "1.0"}},
			want:     "plugin:\n  env:\n  - name: TAG\n    value: \"1.0\"\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, changed, err := MergePluginOverride([]byte(tc.existing), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want || changed != tc.changed {
				t.Fatalf("got changed=%v\n%s\nwant changed=%v\n%s", changed, out, tc.changed, tc.want)
			}
			env, err := ReadPluginOverride(out)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range env {
				got[e.Name] = e.Value
			}
			for _, e := range tc.env {
				if got[e.Name] != e.Value {
					t.Errorf("read back %s = %q, want %q", e.Name, got[e.Name], e.Value)
				}
			}
		})
	}
	for name, bad := range map[string]struct {
		existing string
		env      []EnvVar
	}{
		"env not a list": {"plugin:\n  env: 3\n", []EnvVar{{"A", "b"}}},
		"empty name":     {"", []EnvVar{{"", "b"}}},
		"two documents":  {"a: 1\n---\nb: 2\n", []EnvVar{{"A", "b"}}},
	} {
		if _, _, err := MergePluginOverride([]byte(bad.existing), bad.env); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzMergePluginOverride(f *testing.F) {
	f.Add("plugin:\n  env:\n  - name: A\n    value: b\n", "A", "c")
	f.Add("", "IMAGE", "x:1")
	f.Add("plugin: null\n", "T", "")
	f.Fuzz(func(t *testing.T, existing, name, value string) {
		out, _, err := MergePluginOverride([]byte(existing), []EnvVar{{name, value}})
		if err != nil {
			return
		}
		env, err := ReadPluginOverride(out)
		if err != nil {
			t.Fatalf("merged file does not read back: %v\n%s", err, out)
		}
		for _, e := range env {
			if e.Name == name && e.Value == value {
				return
			}
		}
		t.Fatalf("entry %q=%q missing after merge:\n%s", name, value, out)
	})
}
