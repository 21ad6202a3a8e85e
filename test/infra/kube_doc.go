package infra

// The kube*.go files start a real kube-apiserver and etcd through
// controller-runtime's envtest, with the ImageUpdater CRD and Argo CD's
// Application and AppProject CRDs installed.
//
// The binaries come from hack/kube-apiserver.sh (KUBEBUILDER_ASSETS, or the
// version-keyed cache directory it fills); Argo CD's CRDs from
// hack/argocd-crds.sh. When the binaries are absent a test is skipped,
// except under CI=true, where it fails.
//
// A test package shares one API server: its TestMain calls KubeMain(m), and
// tests call StartKube(t), which starts the server on first use. Tests
// isolate themselves with KubeEnv.Namespace.
