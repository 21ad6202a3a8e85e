package cli_test

import (
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/imagepilot/imagepilot/test/infra"
)

// shippedDeployment renders config/default and returns its Deployment.
func shippedDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(infra.KubeRepoRoot(), "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := resMap.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := infra.KubeDecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			var d appsv1.Deployment
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
				t.Fatal(err)
			}
			return &d
		}
	}
	t.Fatal("config/default has no Deployment")
	return nil
}

// TestShippedDeploymentMountsUpstreamKeys: our install manifest reads every
// key of argocd-image-updater-config and argocd-image-updater-secret that
// upstream's does, into the same variables and files, so a user's existing
// ConfigMap and Secret work unchanged.
func TestShippedDeploymentMountsUpstreamKeys(t *testing.T) {
	d := shippedDeployment(t)
	c := d.Spec.Template.Spec.Containers[0]
	fromCM, fromSecret := map[string]string{}, map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && r.Name == "argocd-image-updater-config" && r.Optional != nil && *r.Optional {
			fromCM[e.Name] = r.Key
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && r.Name == "argocd-image-updater-secret" && r.Optional != nil && *r.Optional {
			fromSecret[e.Name] = r.Key
		}
	}
	for name, key := range upstreamFromConfigMap {
		if fromCM[name] != key {
			t.Errorf("env %s: from ConfigMap key %q, want %q (optional)", name, fromCM[name], key)
		}
	}
	for name, key := range upstreamFromSecret {
		if fromSecret[name] != key {
			t.Errorf("env %s: from Secret key %q, want %q (optional)", name, fromSecret[name], key)
		}
	}
	mounts, subPaths := map[string]string{}, map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name], subPaths[m.Name] = m.MountPath, m.SubPath
	}
	files := map[string]string{}
	for _, v := range d.Spec.Template.Spec.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == "argocd-image-updater-config":
			for _, it := range v.ConfigMap.Items {
				files["cm:"+it.Key] = filepath.Join(mounts[v.Name], it.Path)
			}
		case v.Secret != nil && v.Secret.SecretName == "ssh-git-creds":
			files["ssh:"+subPaths[v.Name]] = mounts[v.Name]
		case v.Secret != nil && v.Secret.SecretName == "argocd-image-updater-tls":
			for _, it := range v.Secret.Items {
				files["tls:"+it.Key] = filepath.Join(mounts[v.Name], it.Path)
			}
		}
	}
	want := map[string]string{
		"cm:registries.conf":             "/app/config/registries.conf",
		"cm:git.commit-message-template": "/app/config/commit.template",
		"tls:tls.crt":                    "/app/config/tls/tls.crt",
		"tls:tls.key":                    "/app/config/tls/tls.key",
		"ssh:sshPrivateKey":              "/app/ssh-keys/id_rsa",
	}
	for k, p := range want {
		if files[k] != p {
			t.Errorf("%s mounted at %q, want %q (the binary's default path)", k, files[k], p)
		}
	}
}
