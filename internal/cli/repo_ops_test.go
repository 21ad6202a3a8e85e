package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func TestCycleOf(t *testing.T) {
	start := time.Unix(100, 0)
	end := start.Add(2 * time.Second)
	tests := []struct {
		name                            string
		rep                             repomode.Report
		err                             error
		ok                              bool
		commits, attempts, failedPushes int
	}{
		{name: "nothing to do", ok: true},
		{name: "one commit on the second attempt", ok: true,
			rep:     repomode.Report{Result: cycle.Result{Git: []writeback.GroupResult{{Commit: "abc", Pushed: true, Attempts: 2}}}},
			commits: 1, attempts: 2, failedPushes: 1},
		{name: "a failed group", ok: false,
			rep:     repomode.Report{Result: cycle.Result{Git: []writeback.GroupResult{{Commit: "abc", Pushed: true, Attempts: 1}, {Attempts: 3, Err: errors.New("rejected")}}}},
			commits: 1, attempts: 4, failedPushes: 3},
		{name: "dry run: a diff, no push", ok: true,
			rep: repomode.Report{Result: cycle.Result{Git: []writeback.GroupResult{{Diff: "-a\n+b\n"}}}}},
		{name: "cycle error", err: errors.New("clone failed"), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cycleOf(start, end, tt.rep, tt.err)
			if c.Mode != "repo" || !c.Start.Equal(start) || !c.End.Equal(end) {
				t.Errorf("cycle %+v", c)
			}
			if c.OK != tt.ok || c.Commits != tt.commits || c.PushAttempts != tt.attempts || c.FailedPushes != tt.failedPushes {
				t.Errorf("got ok=%v commits=%d attempts=%d failed=%d, want %v %d %d %d", c.OK, c.Commits, c.PushAttempts, c.FailedPushes, tt.ok, tt.commits, tt.attempts, tt.failedPushes)
			}
		})
	}
}

func TestNewRepoOps(t *testing.T) {
	tests := []struct {
		name                   string
		args                   []string
		env                    map[string]string
		once                   bool
		wantMetrics, wantProbe string
		wantErr                string
	}{
		{name: "nothing given: nothing served (local runs bind no port)"},
		{name: "flags given", args: []string{"--metrics-bind-address=:9090", "--health-probe-bind-address=:9091"}, wantMetrics: ":9090", wantProbe: ":9091"},
		{name: "environment given", env: map[string]string{"IMAGE_UPDATER_METRICS_BIND_ADDRESS": ":9092"}, wantMetrics: ":9092"},
		{name: "once serves nothing", args: []string{"--metrics-bind-address=:9090"}, once: true},
		{name: "metrics-secure refused", args: []string{"--metrics-secure"}, wantErr: "--metrics-secure needs a cluster"},
		{name: "metrics-secure=false accepted", args: []string{"--metrics-secure=false", "--metrics-bind-address=:9090"}, wantMetrics: ":9090"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			env := newEnv()
			c := &controllerOptions{}
			f := pflag.NewFlagSet("run", pflag.ContinueOnError)
			registerControllerFlags(f, env, c)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o, err := newRepoOps(f, env, c, tt.once)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !isUsage(err) {
					t.Errorf("error %v, want usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.metricsAddr != tt.wantMetrics || o.healthAddr != tt.wantProbe {
				t.Errorf("serving metrics %q probes %q, want %q %q", o.metricsAddr, o.healthAddr, tt.wantMetrics, tt.wantProbe)
			}
			fams, err := o.registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, mf := range fams {
				names[mf.GetName()] = true
			}
			if !names["imagepilot_build_info"] || !names["go_goroutines"] {
				t.Errorf("registry lacks build info or Go metrics: %v", names)
			}
		})
	}
}

func isUsage(err error) bool {
	var e *exitError
	return errors.As(err, &e) && e.code == ExitUsage
}
