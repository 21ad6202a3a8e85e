// Package httpserve runs the product's HTTP(S) servers (the registry
// webhook server, the trigger API) for their whole life: listen at start
// (so a taken port is a configuration error), serve until the context
// ends, shut down within a bound. Both modes use it.
package httpserve
