package cloudauth

import (
	"regexp"
	"strings"
)

// Registry is a registry host bound to a provider, with what the host
// tells about the account, region and instance.
type Registry struct {
	// Provider is the cloud (never Auto).
	Provider Provider
	// Host is the registry host name, lower case.
	Host string
	// Region is the AWS or Alibaba Cloud region.
	Region string
	// Account is the AWS account id (registry id).
	Account string
	// FIPS is set for ECR FIPS endpoints (dkr.ecr-fips).
	FIPS bool
	// Instance is the Alibaba Cloud ACR instance id; empty for the classic
	// personal edition.
	Instance string
	// ClientID selects an Azure user-assigned managed identity.
	ClientID string
	// Tenant is the Entra tenant for the ACR exchange.
	Tenant string
	// ServiceAccount is the "NAMESPACE/NAME" whose token is federated
	// (empty: the process's own identity).
	ServiceAccount string

	// needsInstance is set for enterprise hosts, whose name does not carry
	// the instance id.
	needsInstance bool
}

var (
	ecrHost      = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-[a-z0-9]+)+)\.amazonaws\.com(\.cn)?$`)
	ecrDualStack = regexp.MustCompile(`^([0-9]{12})\.dkr-ecr(-fips)?\.([a-z]{2}(?:-[a-z0-9]+)+)\.on\.aws$`)
	gcrHost      = regexp.MustCompile(`^([a-z0-9-]+\.)?gcr\.io$`)
	garHost      = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*-docker\.pkg\.dev$`)
	acrHost      = regexp.MustCompile(`^[a-z0-9]{5,50}\.azurecr\.(io|cn|us)$`)
	aliPersonal  = regexp.MustCompile(`^registry(?:-intl)?(?:-vpc)?\.([a-z]{2}(?:-[a-z0-9]+)+)\.aliyuncs\.com$`)
	aliNewPers   = regexp.MustCompile(`^(crpi-[a-z0-9]+)(?:-vpc)?\.([a-z]{2}(?:-[a-z0-9]+)+)\.personal\.cr\.aliyuncs\.com$`)
	aliEnterpr   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-registry(?:-vpc)?\.([a-z]{2}(?:-[a-z0-9]+)+)\.cr\.aliyuncs\.com$`)
)

// Recognize tells whether host (a host name, without port or path) is a
// registry of one of the clouds, and what its name says:
//
//   - AWS: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn] and the
//     dual-stack ACCOUNT.dkr-ecr[-fips].REGION.on.aws;
//   - GCP: gcr.io, its regional hosts (us.gcr.io, ...) and
//     LOCATION-docker.pkg.dev;
//   - Azure: NAME.azurecr.io (and .cn, .us for the sovereign clouds);
//   - Alibaba: registry[-intl][-vpc].REGION.aliyuncs.com (classic
//     personal edition), crpi-ID[-vpc].REGION.personal.cr.aliyuncs.com
//     (personal instances) and NAME-registry[-vpc].REGION.cr.aliyuncs.com
//     (enterprise instances, whose instance id the host does not carry).
//
// Matching is case-insensitive; a host with a port is no cloud's.
func Recognize(host string) (Registry, bool) {
	h := strings.ToLower(host)
	if m := ecrHost.FindStringSubmatch(h); m != nil {
		if (m[4] == ".cn") != strings.HasPrefix(m[3], "cn-") {
			return Registry{}, false
		}
		return Registry{Provider: AWS, Host: h, Account: m[1], FIPS: m[2] != "", Region: m[3]}, true
	}
	if m := ecrDualStack.FindStringSubmatch(h); m != nil {
		return Registry{Provider: AWS, Host: h, Account: m[1], FIPS: m[2] != "", Region: m[3]}, true
	}
	if gcrHost.MatchString(h) || garHost.MatchString(h) {
		return Registry{Provider: GCP, Host: h}, true
	}
	if acrHost.MatchString(h) {
		return Registry{Provider: Azure, Host: h}, true
	}
	if m := aliPersonal.FindStringSubmatch(h); m != nil {
		return Registry{Provider: Alibaba, Host: h, Region: m[1]}, true
	}
	if m := aliNewPers.FindStringSubmatch(h); m != nil {
		return Registry{Provider: Alibaba, Host: h, Instance: m[1], Region: m[2]}, true
	}
	if m := aliEnterpr.FindStringSubmatch(h); m != nil {
		return Registry{Provider: Alibaba, Host: h, Region: m[1], needsInstance: true}, true
	}
	return Registry{}, false
}

// azureScope returns the Entra scope of the Azure Resource Manager of the
// registry's cloud, the audience ACR's exchange accepts.
func azureScope(host string) string {
	switch {
	case strings.HasSuffix(host, ".azurecr.cn"):
		return "https://management.chinacloudapi.cn/.default"
	case strings.HasSuffix(host, ".azurecr.us"):
		return "https://management.usgovcloudapi.net/.default"
	}
	return "https://management.azure.com/.default"
}
