package controller_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/test/infra"
)

// digest asks the registry (directly, uncounted) for a tag's digest.
func (f *fixture) digest(t *testing.T, repo, tag string) string {
	t.Helper()
	ref, err := name.NewTag(strings.TrimPrefix(f.reg.Direct, "http://") + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref, f.reg.RemoteOptions(context.Background())...)
	if err != nil {
		t.Fatal(err)
	}
	return desc.Digest.String()
}

// keySecret stores a cosign public key file in a Secret.
func (f *fixture) keySecret(t *testing.T, ns, name, key string, pem []byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{key: pem}}
	if err := f.kube.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyRef(secret string) *v1alpha1.ImagesVerification {
	return &v1alpha1.ImagesVerification{CosignKey: &v1alpha1.SecretKeyRef{SecretName: secret, Key: "cosign.pub"}}
}

func (f *fixture) warningsOf(ns, app, reason string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, w := range f.warnings[ns+"/"+app] {
		if strings.HasPrefix(w, reason+": ") {
			out = append(out, w)
		}
	}
	return out
}

// TestImageUpdaterVerification runs ImageUpdaters with imagesVerification
// on the real kube-apiserver against images signed by the real cosign CLI
// on the real docker-registry: keys come from Secrets in the ImageUpdater's
// namespace; spec, applicationRef and image blocks merge field by field;
// the newest verified tag wins, and the unsigned newer tag is reported in
// status, a Warning Event and the log; a wrong key or an unreadable key
// moves nothing. The second cycle makes no signature request.
func TestImageUpdaterVerification(t *testing.T) {
	cs := infra.NewCosign(t)
	f := setupEngine(t)
	clock := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f.engine.Now = func() time.Time { return clock }
	ns := f.kube.Namespace(t)
	orgKey, teamKey := cs.GenerateKey(t, "org"), cs.GenerateKey(t, "team")

	web := f.push(t, "team/vweb", "1.0.0", "1.1.0", "2.0.0")
	api := f.push(t, "team/vapi", "1.0.0", "1.1.0", "1.2.0")
	cs.Sign(t, orgKey, web+"@"+f.digest(t, "team/vweb", "1.1.0"), false) // 2.0.0 is unsigned
	cs.Sign(t, teamKey, api+"@"+f.digest(t, "team/vapi", "1.1.0"), true) // bundle format
	cs.Sign(t, orgKey, api+"@"+f.digest(t, "team/vapi", "1.2.0"), false) // the wrong key for api

	f.keySecret(t, ns, "org-key", "cosign.pub", readFile(t, orgKey.Public))
	f.keySecret(t, ns, "team-key", "cosign.pub", readFile(t, teamKey.Public))
	f.keySecret(t, ns, "garbage", "cosign.pub", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	// The same key in another namespace is not the ImageUpdater's.
	other := f.kube.Namespace(t)
	f.keySecret(t, other, "elsewhere", "cosign.pub", readFile(t, orgKey.Public))

	for _, a := range []struct{ name, img, tag string }{
		{"web", web, "1.0.0"}, {"api", api, "1.0.0"}, {"free", web, "1.0.0"}, {"wrong", web, "1.0.0"},
		{"nosecret", web, "1.0.0"}, {"nokey", web, "1.0.0"}, {"badkey", web, "1.0.0"}, {"foreign", web, "1.0.0"},
	} {
		f.createApp(t, helmApp(ns, a.name, []argocd.HelmParameter{{Name: "image.tag", Value: a.tag}}, a.img+":"+a.tag))
	}
	image := func(img string, v *v1alpha1.ImagesVerification) []v1alpha1.ImageConfig {
		return []v1alpha1.ImageConfig{{Alias: "app", ImageName: img, ImagesVerification: v}}
	}
	iu := f.createIU(t, ns, "signed", v1alpha1.ImageUpdaterSpec{
		ImagesVerification: keyRef("org-key"),
		ApplicationRefs: []v1alpha1.ApplicationRef{
			{NamePattern: "web", Images: image(web, nil)},                                                // spec level
			{NamePattern: "api", ImagesVerification: keyRef("team-key"), Images: image(api, nil)},        // ref level
			{NamePattern: "free", Images: image(web, &v1alpha1.ImagesVerification{Enabled: ptr(false)})}, // image opts out
			{NamePattern: "wrong", ImagesVerification: &v1alpha1.ImagesVerification{Enabled: ptr(false)},
				Images: image(web, &v1alpha1.ImagesVerification{Enabled: ptr(true), CosignKey: keyRef("team-key").CosignKey})}, // image re-enables with another key
			{NamePattern: "nosecret", Images: image(web, keyRef("missing"))},
			{NamePattern: "nokey", Images: image(web, &v1alpha1.ImagesVerification{CosignKey: &v1alpha1.SecretKeyRef{SecretName: "org-key", Key: "other.pub"}})},
			{NamePattern: "badkey", Images: image(web, keyRef("garbage"))},
			{NamePattern: "foreign", Images: image(web, keyRef("elsewhere"))},
		},
	})

	f.reg.Proxy.Reset()
	out := f.reconcile(t, iu)
	first := f.reg.Proxy.Counts()
	for app, want := range map[string]string{
		"web": "1.1.0", "api": "1.1.0", "free": "2.0.0", "wrong": "1.0.0",
		"nosecret": "1.0.0", "nokey": "1.0.0", "badkey": "1.0.0", "foreign": "1.0.0",
	} {
		if got := param(f.app(t, ns, app), "image.tag"); got != want {
			t.Errorf("%s: image.tag %q, want %q", app, got, want)
		}
	}

	// Status: the verification condition names the passed-over tags.
	vc := condition(iu, controller.ConditionImagesVerified)
	if vc.Status != metav1.ConditionFalse || vc.Reason != controller.ReasonUnverifiedTags ||
		!strings.Contains(vc.Message, "application "+ns+"/web image app="+web+": newer tags not verified: 2.0.0 (no signature); newest verified tag is 1.1.0") ||
		!strings.Contains(vc.Message, "1.2.0 (wrong key)") ||
		!strings.Contains(vc.Message, "application "+ns+"/wrong image app="+web+": no tag verified") {
		t.Errorf("ImagesVerified condition: %+v", vc)
	}
	if rc := condition(iu, v1alpha1.ConditionReady); !strings.Contains(rc.Message, "kept from newer tags by signature verification") {
		t.Errorf("Ready condition: %+v", rc)
	}
	ec := condition(iu, v1alpha1.ConditionError)
	for _, field := range []string{
		"spec.applicationRefs[4].images[0].imagesVerification.cosignKey: cosign public key: reading secret " + ns + `/missing: secrets "missing" not found`,
		"spec.applicationRefs[5].images[0].imagesVerification.cosignKey: Secret " + ns + `/org-key has no key "other.pub"`,
		"spec.applicationRefs[6].images[0].imagesVerification.cosignKey: key \"cosign.pub\" of Secret " + ns + "/garbage: invalid cosign public key",
		"spec.applicationRefs[7].images[0].imagesVerification.cosignKey: cosign public key: reading secret " + ns + "/elsewhere",
	} {
		if !strings.Contains(ec.Message, field) {
			t.Errorf("Error condition lacks %q: %s", field, ec.Message)
		}
	}
	if strings.Contains(ec.Message, "BEGIN PUBLIC KEY") {
		t.Errorf("Error condition quotes key material: %s", ec.Message)
	}

	// Events: a Warning on each application held back or left alone.
	if w := f.warningsOf(ns, "web", controller.WarningUnverifiedImages); len(w) != 1 || !strings.Contains(w[0], "2.0.0 (no signature)") {
		t.Errorf("web warnings: %v", w)
	}
	if w := f.warningsOf(ns, "wrong", controller.WarningUnverifiedImages); len(w) != 1 || !strings.Contains(w[0], "no tag verified") {
		t.Errorf("wrong-key warnings: %v", w)
	}
	for _, app := range []string{"nosecret", "nokey", "badkey", "foreign"} {
		if w := f.warningsOf(ns, app, controller.WarningInvalidConfiguration); len(w) != 1 || !strings.Contains(w[0], "imagesVerification.cosignKey") {
			t.Errorf("%s warnings: %v", app, w)
		}
	}
	if w := f.warningsOf(ns, "free", controller.WarningUnverifiedImages); len(w) != 0 {
		t.Errorf("opted-out image warned: %v", w)
	}
	f.mu.Lock()
	logs := f.logs.String()
	f.mu.Unlock()
	if !strings.Contains(logs, "newer tags failed signature verification") || !strings.Contains(logs, "application="+ns+"/web") {
		t.Errorf("log lacks the unverified tags:\n%s", logs)
	}
	if len(out.Decisions) != 4 {
		t.Errorf("%d decisions, want 4 (web, api, free, wrong)", len(out.Decisions))
	}

	// A second cycle (a new registry cycle after the interval) reads no
	// signature again: verified digests are cached, the unsigned tag is
	// seen in the listing, the wrong-key one by its signature digest.
	clock = clock.Add(2 * time.Minute)
	f.reg.Proxy.Reset()
	f.reconcile(t, iu)
	second := f.reg.Proxy.Counts()
	t.Logf("registry requests: first cycle %v; second cycle %v", first, second)
	if second["GET manifest"] != 0 || second["GET blob"] != 0 {
		t.Errorf("second cycle read signatures again: %v", second)
	}
	if w := f.warningsOf(ns, "web", controller.WarningUnverifiedImages); len(w) != 1 {
		t.Errorf("unchanged warning recorded again: %v", w)
	}
}
