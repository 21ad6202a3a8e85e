// Package updater decides, for each target, whether its image moves: it asks
// the registry layer for the repository's tags (one listing per repository per
// cycle, shared by every target), applies the compiled policy, compares the
// result with what is deployed and with any hold, and returns a Decision with
// the reason for every update, skip and error. It changes nothing itself: the
// write-back packages apply the updates, grouped by destination.
package updater
