// Package cli holds imagepilot's cobra commands: one constructor per
// subcommand, output to injected writers, the work done by the same library
// calls the controller uses.
package cli
