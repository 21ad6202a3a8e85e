package cli

import (
	"net"
	"strconv"

	"github.com/spf13/pflag"
)

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
