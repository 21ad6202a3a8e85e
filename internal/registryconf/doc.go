// Package registryconf reads registries.conf, the list of container
// registries and their settings, and finds the settings for an image.
//
// # Format
//
// YAML with one top-level key, registries, holding a list of entries with
// the keys name, api_url, prefix, credentials, credsexpire, defaultns,
// default, insecure, ca_file, ca_data, limit, tagsortmode and ping. Parsing
// is strict: unknown keys, duplicate keys, wrong types and more than one
// YAML document are errors. Every error is an [*Error] carrying the line
// and column and the entry it concerns, e.g.
//
//	registries.conf:7:3: registry "ACR": unknown key "api_ulr"
//
// and matches [ErrInvalid]. An empty file and "registries: []" are valid.
//
// Rules, following the upstream documentation where it has one:
//
//   - name, api_url and prefix are required (upstream documents prefix as
//     mandatory, so it is not derived from api_url; the error suggests the
//     api_url host). Prefixes are unique.
//   - api_url is an absolute http or https URL with a host.
//   - prefix is host[:port] optionally followed by a path, without a
//     scheme. The host part is compared case-insensitively and stored in
//     lower case; trailing slashes are dropped; Docker Hub's aliases
//     (index.docker.io, ...) are stored as docker.io.
//   - credentials is one of secret:ns/name#key, pullsecret:ns/name,
//     env:VAR, ext:/abs/path or provider:NAME[?key=value&...] with NAME
//     aws, gcp, azure, alibaba or auto (plain user:password is refused:
//     this file is not the place for passwords). A provider must fit the
//     prefix host: provider:auto needs a cloud registry host, a named
//     provider refuses another cloud's host, and a host the provider
//     cannot read its account/region/instance from needs the options
//     (see internal/cloudauth).
//   - credsexpire is a Go duration ("12h", "90m"); a bare integer means
//     seconds (upstream documents only durations; a bare number there was
//     taken as nanoseconds, which nobody means). 0 or absent: never expire.
//   - default: true on at most one entry.
//   - insecure, default and ping take YAML booleans, including the YAML
//     1.1 words yes/no/on/off/y/n that upstream configurations use.
//   - ca_file must be readable and hold at least one PEM certificate;
//     ca_data must hold at least one PEM certificate.
//   - limit is a non-negative number of requests per second (0 or absent:
//     no limit set here; the registry client chooses).
//   - tagsortmode is none (the default), latest-first or latest-last.
//   - ping is accepted and ignored.
//
// # Lookup
//
// [Config.Lookup] finds the entry whose prefix is the longest match of
// host/repository on a path-segment boundary. Docker Hub is built in
// (docker.io, API https://registry-1.docker.io, default namespace
// library) unless an entry's prefix covers it. Any other host without an
// entry gets a plain entry https://<host>. Images written without a
// registry host belong to [Config.DefaultRegistry]; Lookup with an empty
// host returns it.
package registryconf
