// Package holds keeps images at a version on a person's request (a pin) until
// they release it. In repo mode the holds live in the repository itself, in
// .imagepilot/holds.yaml, so they survive restarts, are reviewed like any
// other change, and show in `imagepilot plan`.
package holds
