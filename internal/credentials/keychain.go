package credentials

import "github.com/google/go-containerregistry/pkg/authn"

// Keychain returns the fallback keychain for images whose registry and
// settings name no credentials: the given keychains in order, then the
// process's Docker config.json (authn.DefaultKeychain: $DOCKER_CONFIG or
// ~/.docker/config.json, with credential helpers). A keychain that has
// nothing for a registry yields anonymous access, so the result is always
// usable with remote.WithAuthFromKeychain.
func Keychain(first ...authn.Keychain) authn.Keychain {
	chain := append(append([]authn.Keychain{}, first...), authn.DefaultKeychain)
	return authn.NewMultiKeychain(chain...)
}
