// Package cloud tests provider: credentials (internal/cloudauth) end to
// end: each cloud's SDK talks to loopback fakes of that cloud's documented
// token endpoints (AWS STS and ECR, the GCE metadata server and Google's
// OAuth token endpoint, Entra ID and ACR's /oauth2/exchange, Alibaba Cloud
// STS and Container Registry), and the credentials they issue log in to
// the real docker-registry, whose token server accepts only those.
//
// The fakes follow the wire formats (STS query/XML, ECR JSON 1.1, the
// metadata server's JSON, OpenID discovery and OAuth2 token responses,
// Alibaba's RPC/ROA JSON); they check that the request carries what the
// previous step issued (the token file's contents, the STS access key
// id), not the SDKs' request signatures.
package cloud
