// Package writeback applies planned image updates to their destinations.
//
// Git write-back groups every update of a cycle by repository and branch and
// makes one commit per group; the edit of each file is re-derived from the
// file's current content on every push attempt, and a value someone else
// changed since it was planned is left alone. The file an image lives in is
// found by the same Layout used to read the deployed version, so reading and
// writing cannot disagree.
package writeback
