package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/target"
)

// repoBackend serves the trigger API from repo mode; cycles, holds and
// releases take turns with the polling loop and webhooks.
func repoBackend(r *repomode.Runner, mu *cycle.Lock) api.Backend {
	return api.NewBackend(api.CheckerFunc(func(ctx context.Context, req api.CheckRequest) (api.CheckResult, error) {
		return repoCheck(ctx, r, mu, req)
	}), r.Holds(mu))
}

// repoCheck runs a cycle limited to the request's application and image.
func repoCheck(ctx context.Context, r *repomode.Runner, mu *cycle.Lock, req api.CheckRequest) (api.CheckResult, error) {
	if err := mu.LockContext(ctx); err != nil {
		return api.CheckResult{}, err
	}
	defer mu.Unlock()
	rep, err := r.RunFor(ctx, checkMatcher(req))
	if err != nil {
		return api.CheckResult{}, err
	}
	res := api.ResultOf(rep.Result)
	for _, sk := range rep.Skipped { // says why a named application is not managed (then 404)
		if req.Application != "" && (req.Application == sk.App.Name || req.Application == sk.App.String()) {
			res.Problems = append(res.Problems, "skipped application "+sk.String())
		}
	}
	return res, api.NotFoundErr(req, res)
}

// checkMatcher accepts the targets a check request names: the application
// by name or namespace/name, the image by alias, name or full name.
func checkMatcher(req api.CheckRequest) func(target.Target) bool {
	return func(t target.Target) bool {
		appOK := req.Application == "" || req.Application == t.App.Name || req.Application == t.App.String()
		imgOK := req.Image == "" || req.Image == t.Image.Alias || req.Image == t.Image.Name || req.Image == t.Image.FullName()
		return appOK && imgOK
	}
}

// apiFlags configure the trigger API server.
type apiFlags struct {
	port        int
	bindAddress string
}

func (a *apiFlags) register(f *pflag.FlagSet, env *envSource) {
	f.IntVar(&a.port, "api-port", env.number("api-port", "IMAGEPILOT_API_PORT", 0, 0, 65535), "port of the trigger API (0 = off); the bearer token comes from IMAGEPILOT_API_TOKEN")
	f.StringVar(&a.bindAddress, "api-bind-address", env.str("", "IMAGEPILOT_API_BIND_ADDRESS"), "host:port of the trigger API (overrides --api-port; turns the API on)")
}

// address is where the trigger API listens ("" = off).
func (a *apiFlags) address() string {
	if a.bindAddress != "" {
		return a.bindAddress
	}
	if a.port == 0 {
		return ""
	}
	return net.JoinHostPort("", strconv.Itoa(a.port))
}

// serveAPI runs the trigger API until the returned stop is called.
func serveAPI(ctx context.Context, a *apiFlags, backend api.Backend, r *repomode.Runner) (func(), error) {
	if a.address() == "" {
		return func() {}, nil
	}
	h, err := api.NewServer(backend, envOr("IMAGEPILOT_API_TOKEN", ""), r.Logger)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", a.address())
	if err != nil {
		return nil, fmt.Errorf("trigger API: %w", err)
	}
	srv := api.NewHTTPServer(ln.Addr().String(), h)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.Logger.ErrorContext(ctx, "trigger API stopped", "error", err)
		}
	}()
	r.Logger.InfoContext(ctx, "trigger API listening", "address", ln.Addr().String())
	return func() { _ = srv.Shutdown(context.Background()) }, nil
}
