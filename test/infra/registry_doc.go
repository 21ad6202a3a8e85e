package infra

// Registry helpers (files registry*.go, token*.go, faultproxy*.go):
//
//   - StartRegistry runs the real docker-registry (anonymous, htpasswd Basic,
//     bearer tokens from TokenServer, optional TLS from TestCA, optional
//     notification endpoints) behind a FaultProxy that every client goes
//     through: Registry.Proxy counts requests by kind and injects faults.
//   - TokenServer is a Docker token server (GET /token, OAuth2 POST) issuing
//     ES256 JWTs; NewFaultProxy can front any registry, e.g. an in-process one.
//   - NewImage, PushImage, PushTags and PushIndex create test images with
//     chosen creation times, Docker or OCI media types and platforms.
