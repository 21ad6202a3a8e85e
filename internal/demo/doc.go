// Package demo builds a self-contained playground for the README's first
// command: an in-process container registry seeded with guestbook v1..v4 and
// redis images, and a local Git repository laid out like the guestbook Helm
// chart of the Argo CD Image Updater guides, with an annotated Application.
// Everything listens on 127.0.0.1 and lives in a temporary directory.
package demo
