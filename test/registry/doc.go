// Package registry holds integration tests of internal/registry against the
// real docker-registry (CNCF distribution 2.8), with every request counted by
// test/infra's FaultProxy. The tests skip when docker-registry is absent.
package registry
