package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/holds"
)

// fakeBackend is a running imagepilot's work behind its trigger API: it
// answers from its fields and records what it was asked.
type fakeBackend struct {
	mu       sync.Mutex
	result   api.CheckResult
	checkErr error
	set      holds.Set
	holdErr  error
	checked  []api.CheckRequest
	held     []holds.Hold
	released []string
}

func (f *fakeBackend) Check(_ context.Context, req api.CheckRequest) (api.CheckResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked = append(f.checked, req)
	return f.result, f.checkErr
}

func (f *fakeBackend) Holds(context.Context) (holds.Set, error) {
	return f.set, nil
}

func (f *fakeBackend) Hold(_ context.Context, h holds.Hold) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = append(f.held, h)
	return f.holdErr
}

func (f *fakeBackend) Release(_ context.Context, app, image string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, app+" "+image)
	return f.holdErr
}

// serve serves b as the trigger API with token "t0ken".
func serve(t *testing.T, b api.Backend) string {
	t.Helper()
	h, err := api.NewServer(b, "t0ken", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

var since = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestCommandsThroughTheTriggerAPI(t *testing.T) {
	decisions := []api.Decision{
		{Application: "argocd/web", Image: "web", Action: "update", From: "v1", To: "v2", Reason: "v1 -> v2"},
		{Application: "argocd/db", Image: "redis", Action: "skip", From: "7.2", To: "7.2", Reason: "7.2 is already the newest eligible tag"},
	}
	withError := append(append([]api.Decision(nil), decisions...), api.Decision{Application: "argocd/api", Image: "api", Action: "error", Reason: "listing tags: unauthorized"})
	twoHolds := holds.Set{Holds: []holds.Hold{
		{Application: "argocd/web", Image: "web", Version: "v1", By: "alice", Since: since, Reason: "incident 42"},
		{Application: "db", Image: "redis", Since: since},
	}}
	token := map[string]string{"IMAGEPILOT_API_TOKEN": "t0ken"}
	tests := []struct {
		name    string
		backend *fakeBackend
		env     map[string]string
		args    []string
		code    int
		want    string
		wantErr string
	}{
		{name: "trigger: text", backend: &fakeBackend{result: api.CheckResult{Decisions: decisions, Commits: []api.Commit{{Repository: "https://git.example.com/a.git", Branch: "main", Commit: "0123456789abcdef"}}}},
			args: []string{"trigger"}, want: "update argocd/web web: v1 -> v2\nskip   argocd/db redis: 7.2 is already the newest eligible tag\nhttps://git.example.com/a.git (main): committed 0123456789ab\n"},
		{name: "trigger: yaml", backend: &fakeBackend{result: api.CheckResult{Decisions: decisions[1:]}}, args: []string{"trigger", "-o", "yaml"},
			want: "apiVersion: imagepilot.io/v1\ndecisions:\n- action: skip\n  application: argocd/db\n  from: \"7.2\"\n  image: redis\n  reason: 7.2 is already the newest eligible tag\n  to: \"7.2\"\nkind: TriggerResult\n"},
		{name: "trigger: the deprecated --json", backend: &fakeBackend{result: api.CheckResult{Decisions: decisions[:1]}}, args: []string{"trigger", "--json"},
			want:    "{\n  \"apiVersion\": \"imagepilot.io/v1\",\n  \"kind\": \"TriggerResult\",\n  \"decisions\": [\n    {\n      \"application\": \"argocd/web\",\n      \"image\": \"web\",\n      \"action\": \"update\",\n      \"from\": \"v1\",\n      \"to\": \"v2\",\n      \"reason\": \"v1 -\\u003e v2\"\n    }\n  ]\n}\n",
			wantErr: "Flag --json has been deprecated, use -o json\n"},
		{name: "trigger: an image error exits 4 after printing", backend: &fakeBackend{result: api.CheckResult{Decisions: withError}}, args: []string{"trigger"}, code: ExitFailedCycle,
			want: "update argocd/web web: v1 -> v2\nskip   argocd/db redis: 7.2 is already the newest eligible tag\nerror  argocd/api api: listing tags: unauthorized\n"},
		{name: "trigger: a problem exits 4", backend: &fakeBackend{result: api.CheckResult{Decisions: decisions, Problems: []string{"apps/x.yaml: bad annotation"}}}, args: []string{"trigger", "-o", "json"}, code: ExitFailedCycle,
			want: "PREFIX{\n  \"apiVersion\": \"imagepilot.io/v1\""},
		{name: "trigger: nothing matched", backend: &fakeBackend{result: api.CheckResult{}}, args: []string{"trigger"}, want: "no managed image matched\n"},
		{name: "trigger: the check fails", backend: &fakeBackend{checkErr: errors.New("clone failed")}, args: []string{"trigger"}, code: ExitFailedCycle, wantErr: "imagepilot: trigger API: 502 Bad Gateway: clone failed\n"},
		{name: "trigger: a wrong token", backend: &fakeBackend{}, env: map[string]string{"IMAGEPILOT_API_TOKEN": "wrong"}, args: []string{"trigger"}, code: ExitFailedCycle, wantErr: "imagepilot: trigger API: 401 Unauthorized: unauthorized\n"},
		{name: "holds: table", backend: &fakeBackend{set: twoHolds}, args: []string{"holds"},
			want: "APPLICATION  IMAGE  VERSION  BY     SINCE                 REASON\nargocd/web   web    v1       alice  2026-03-04T05:06:07Z  incident 42\ndb           redis  -        -      2026-03-04T05:06:07Z  \n"},
		{name: "holds: json", backend: &fakeBackend{set: twoHolds}, args: []string{"holds", "-o", "json"},
			want: "{\n  \"apiVersion\": \"imagepilot.io/v1\",\n  \"kind\": \"HoldList\",\n  \"holds\": [\n    {\n      \"application\": \"argocd/web\",\n      \"image\": \"web\",\n      \"version\": \"v1\",\n      \"reason\": \"incident 42\",\n      \"by\": \"alice\",\n      \"since\": \"2026-03-04T05:06:07Z\"\n    },\n    {\n      \"application\": \"db\",\n      \"image\": \"redis\",\n      \"since\": \"2026-03-04T05:06:07Z\"\n    }\n  ]\n}\n"},
		{name: "holds: yaml, none", backend: &fakeBackend{}, args: []string{"holds", "-o", "yaml"}, want: "apiVersion: imagepilot.io/v1\nholds: []\nkind: HoldList\n"},
		{name: "hold: refused", backend: &fakeBackend{holdErr: fmt.Errorf("%w: %w", api.ErrNotFound, holds.ErrNoSuchImage)}, args: []string{"hold", "--application", "web", "--image", "nope"}, code: ExitFailedCycle, wantErr: "imagepilot: trigger API: 404 Not Found: not found: no such managed image\n"},
		{name: "release", backend: &fakeBackend{}, args: []string{"release", "--application", "argocd/web", "--image", "web"}, want: "released argocd/web web\n"},
		{name: "release: refused", backend: &fakeBackend{holdErr: errors.New("disk full")}, args: []string{"release", "--application", "a", "--image", "b"}, code: ExitFailedCycle, wantErr: "imagepilot: trigger API: 502 Bad Gateway: disk full\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := token
			if tt.env != nil {
				env = tt.env
			}
			r := execute(t, env, append(tt.args, "--server", serve(t, tt.backend))...)
			if r.code != tt.code {
				t.Fatalf("want exit %d; %s", tt.code, r)
			}
			if want, ok := strings.CutPrefix(tt.want, "PREFIX"); ok {
				if !strings.HasPrefix(r.out, want) {
					t.Errorf("stdout %q, want it to start with %q", r.out, want)
				}
			} else if r.out != tt.want {
				t.Errorf("stdout\n%s\nwant\n%s", r.out, tt.want)
			}
			if !strings.Contains(r.errOut, tt.wantErr) || (tt.wantErr == "" && r.errOut != "") {
				t.Errorf("stderr %q, want %q", r.errOut, tt.wantErr)
			}
		})
	}
}

// TestHoldAndTriggerSendWhatTheFlagsSay: the server gets the request the
// flags describe; hold defaults its holder to $USER and stamps the time.
func TestHoldAndTriggerSendWhatTheFlagsSay(t *testing.T) {
	b := &fakeBackend{result: api.CheckResult{Decisions: []api.Decision{{Application: "argocd/web", Image: "web", Action: "skip"}}}}
	env := map[string]string{"IMAGEPILOT_API_TOKEN": "t0ken", "USER": "carol"}
	url := serve(t, b)
	before := time.Now().UTC().Truncate(time.Second)
	for _, args := range [][]string{
		{"trigger", "--application", "argocd/web", "--image", "web"},
		{"trigger"},
		{"hold", "--application", "argocd/web", "--image", "web", "--version", "v1@sha256:" + strings.Repeat("a", 64), "--reason", "rollback"},
		{"hold", "--application", "db", "--image", "redis", "--by", "ops-bot"},
	} {
		if r := execute(t, env, append(args, "--server", url)...); r.code != ExitOK {
			t.Fatalf("%v: %s", args, r)
		}
	}
	if want := []api.CheckRequest{{Application: "argocd/web", Image: "web"}, {}}; len(b.checked) != 2 || b.checked[0] != want[0] || b.checked[1] != want[1] {
		t.Errorf("checked %+v, want %+v", b.checked, want)
	}
	if len(b.held) != 2 {
		t.Fatalf("held %+v", b.held)
	}
	first, second := b.held[0], b.held[1]
	if first.Application != "argocd/web" || first.Image != "web" || first.Version != "v1@sha256:"+strings.Repeat("a", 64) || first.Reason != "rollback" || first.By != "carol" {
		t.Errorf("first hold %+v", first)
	}
	if second.By != "ops-bot" || second.Version != "" {
		t.Errorf("--by does not win over $USER: %+v", second)
	}
	for _, h := range b.held {
		if h.Since.Before(before) || h.Since.After(time.Now()) || h.Since.Nanosecond() != 0 || h.Since.Location() != time.UTC {
			t.Errorf("since %v: want now, in UTC, whole seconds", h.Since)
		}
	}
}
