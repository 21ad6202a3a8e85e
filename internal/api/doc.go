// Package api is imagepilot's trigger API for CI pipelines and people: check
// an application or image now, and hold (pin) or release images. Every request
// carries a bearer token, compared in constant time. The same package holds
// the client the CLI uses.
//
// NewHTTPServer serves it with bounded connections (DefaultLimits: header,
// read, write and idle timeouts, header cap; bodies are capped at 64 KiB).
// A request without the token is answered 401 and its connection closed at
// once, without waiting for its body. A check naming an application or image
// that nothing manages answers 404.
//
//	POST   /api/v1/check                      {"application": "...", "image": "..."}
//	GET    /api/v1/holds
//	POST   /api/v1/holds                      {"application", "image", "version", "reason", "by"}
//	DELETE /api/v1/holds?application=A&image=I
package api
