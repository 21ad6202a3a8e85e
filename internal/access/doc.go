// Package access decides where and as whom an image is read: it maps an image
// spec to its registry (registries.conf: default registry, prefixes, default
// namespace), resolves the credentials that apply (the image's pull secret,
// else the registry's credentials, else the Docker config keychain), and
// offers the update planner a per-cycle view of the registry client.
package access
