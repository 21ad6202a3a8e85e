package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

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
