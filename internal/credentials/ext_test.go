package credentials

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestExtScript(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to run test scripts")
	}
	notExecutable := filepath.Join(t.TempDir(), "plain.txt")
	if err := os.WriteFile(notExecutable, []byte("echo a:b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		timeout time.Duration
		want    authn.AuthConfig
		wantErr []string
	}{
		{name: "first line", path: writeScript(t, "echo 'ci:"+topSecret+":x'\necho second:line"),
			want: authn.AuthConfig{Username: "ci", Password: topSecret + ":x"}},
		{name: "crlf", path: writeScript(t, "printf 'ci:"+topSecret+"\\r\\n'"),
			want: authn.AuthConfig{Username: "ci", Password: topSecret}},
		{name: "no trailing newline", path: writeScript(t, "printf 'ci:"+topSecret+"'"),
			want: authn.AuthConfig{Username: "ci", Password: topSecret}},
		{name: "inherits environment", path: writeScript(t, `echo "$EXT_TEST_USER:`+topSecret+`"`),
			want: authn.AuthConfig{Username: "from-env", Password: topSecret}},
		{name: "failure quotes stderr not stdout", path: writeScript(t, "echo 'ci:"+topSecret+"'\necho 'token endpoint said no' >&2\nexit 3"),
			wantErr: []string{"running script", "exit status 3", "token endpoint said no"}},
		{name: "bad output", path: writeScript(t, "echo "+topSecret),
			wantErr: []string{"output: value is not in the form user:password"}},
		{name: "empty output", path: writeScript(t, "true"),
			wantErr: []string{"output: value is not in the form user:password"}},
		{name: "timeout", path: writeScript(t, "echo 'ci:"+topSecret+"'\nexec sleep 30"), timeout: 200 * time.Millisecond,
			wantErr: []string{"timed out after 200ms"}},
		{name: "missing", path: "/nonexistent/creds.sh", wantErr: []string{"ext:/nonexistent/creds.sh: running script"}},
		{name: "not executable", path: notExecutable, wantErr: []string{"running script", "permission denied"}},
	}
	t.Setenv("EXT_TEST_USER", "from-env")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{}
			if tt.timeout > 0 {
				opts = append(opts, WithExtTimeout(tt.timeout))
			}
			src, err := ParseRef("ext:"+tt.path, opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Resolve(context.Background())
			assertNoSecret(t, err, topSecret)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Resolve = %+v, want error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestExtScriptHonoursContext(t *testing.T) {
	src, err := ParseRef("ext:" + writeScript(t, "exec sleep 30"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Resolve(ctx); err == nil {
		t.Fatal("Resolve with a cancelled context succeeded")
	}
}

func TestCappedBuffer(t *testing.T) {
	b := &cappedBuffer{limit: 4}
	for _, s := range []string{"ab", "cdef", "gh"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if b.String() != "abcd" {
		t.Errorf("kept %q, want abcd", b.String())
	}
}
