package controller

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"log/slog"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// fakeSecrets serves Secret data and counts reads.
type fakeSecrets struct {
	data  map[string]map[string][]byte // namespace/name -> data
	err   error
	reads int
}

func (f *fakeSecrets) GetSecret(_ context.Context, ns, name string) (map[string][]byte, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	d, ok := f.data[ns+"/"+name]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
	}
	return d, nil
}

func pubPEM(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestResolveVerification(t *testing.T) {
	good, other := pubPEM(t), pubPEM(t)
	secrets := &fakeSecrets{data: map[string]map[string][]byte{
		"argocd/cosign":  {"cosign.pub": good},
		"argocd/other":   {"cosign.pub": other},
		"argocd/garbage": {"cosign.pub": []byte("not a key")},
		"team/cosign":    {"cosign.pub": good},
	}}
	ver := func(secret, key string) *target.Verification {
		return &target.Verification{SecretName: secret, Key: key, Field: "spec.imagesVerification.cosignKey"}
	}
	app := target.AppRef{Namespace: "argocd", Name: "a"}
	for name, tc := range map[string]struct {
		ns      string
		vs      []*target.Verification
		wantErr string // "" = resolved
		config  bool   // the error is a configuration error
	}{
		"no verification":   {ns: "argocd", vs: []*target.Verification{nil, nil}},
		"one key":           {ns: "argocd", vs: []*target.Verification{ver("cosign", "cosign.pub"), nil}},
		"two keys":          {ns: "argocd", vs: []*target.Verification{ver("cosign", "cosign.pub"), ver("other", "cosign.pub")}},
		"missing secret":    {ns: "argocd", vs: []*target.Verification{ver("nope", "cosign.pub")}, wantErr: `spec.imagesVerification.cosignKey: cosign public key: secrets "nope" not found`, config: true},
		"other namespace":   {ns: "elsewhere", vs: []*target.Verification{ver("cosign", "cosign.pub")}, wantErr: "not found", config: true},
		"missing key":       {ns: "argocd", vs: []*target.Verification{nil, ver("cosign", "key.pub")}, wantErr: `Secret argocd/cosign has no key "key.pub"`, config: true},
		"unparsable key":    {ns: "argocd", vs: []*target.Verification{ver("garbage", "cosign.pub")}, wantErr: `key "cosign.pub" of Secret argocd/garbage: invalid cosign public key`, config: true},
		"team's own secret": {ns: "team", vs: []*target.Verification{ver("cosign", "cosign.pub")}},
	} {
		t.Run(name, func(t *testing.T) {
			e := &Engine{Secrets: secrets}
			ts := make([]target.Target, len(tc.vs))
			for i, v := range tc.vs {
				ts[i] = target.Target{App: app, Image: imagespec.Spec{Alias: "web", Name: "nginx"}, Verification: v}
			}
			before := secrets.reads
			got, errs := e.resolveVerification(context.Background(), e.keyReader(tc.ns), app, ts)
			if tc.wantErr != "" {
				if len(got) != 0 || len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.wantErr) || errors.Is(errs[0], target.ErrConfig) != tc.config {
					t.Fatalf("targets %d errs %v, want %q (config %v)", len(got), errs, tc.wantErr, tc.config)
				}
				if strings.Contains(errs[0].Error(), "BEGIN PUBLIC KEY") {
					t.Errorf("error quotes the key: %v", errs[0])
				}
				return
			}
			if len(errs) > 0 || len(got) != len(ts) {
				t.Fatalf("targets %d errs %v", len(got), errs)
			}
			for i, g := range got {
				if (g.Policy.Verify != nil) != (tc.vs[i] != nil) {
					t.Errorf("target %d: verifier %v for %+v", i, g.Policy.Verify, tc.vs[i])
				}
			}
			distinct := map[string]bool{}
			for _, v := range tc.vs {
				if v != nil {
					distinct[v.SecretName] = true
				}
			}
			if secrets.reads-before != len(distinct) {
				t.Errorf("%d Secret reads for %d Secrets", secrets.reads-before, len(distinct))
			}
		})
	}
}

func TestResolveVerificationSharesVerifiers(t *testing.T) {
	key := pubPEM(t)
	secrets := &fakeSecrets{data: map[string]map[string][]byte{"a/k": {"cosign.pub": key}, "b/k2": {"x": key}}}
	e := &Engine{Secrets: secrets}
	app := target.AppRef{Namespace: "a", Name: "a"}
	first, errs := e.resolveVerification(context.Background(), e.keyReader("a"), app, []target.Target{{Verification: &target.Verification{SecretName: "k", Key: "cosign.pub"}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The same key in another Secret, another namespace, a later pass:
	// the same Verifier (and so the same result cache).
	second, errs := e.resolveVerification(context.Background(), e.keyReader("b"), app, []target.Target{{Verification: &target.Verification{SecretName: "k2", Key: "x"}}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if first[0].Policy.Verify != second[0].Policy.Verify {
		t.Error("the same key got two verifiers")
	}
	// A transient API error blocks too, but is not called a configuration error.
	e.Secrets = &fakeSecrets{err: errors.New("connection refused")}
	_, errs = e.resolveVerification(context.Background(), e.keyReader("a"), app, []target.Target{{Verification: &target.Verification{SecretName: "k", Key: "cosign.pub", Field: "f"}}})
	if len(errs) != 1 || errors.Is(errs[0], target.ErrConfig) || !strings.Contains(errs[0].Error(), "connection refused") {
		t.Fatalf("errs %v", errs)
	}
}

// stubVerifier marks targets as verified for the tests below; it is never
// called.
type stubVerifier struct{}

func (stubVerifier) Verify(context.Context, policy.Metadata, string, string) (policy.Verification, error) {
	return policy.Verification{}, errors.New("not called")
}

func verifiedDecision(app, alias, chosen string, verdicts ...policy.Verdict) updater.Decision {
	d := updater.Decision{NewTag: chosen, Verdicts: verdicts}
	d.Target = target.Target{App: target.AppRef{Namespace: "argocd", Name: app}, Image: imagespec.Spec{Alias: alias, Name: "reg/" + alias}}
	d.Target.Policy.Verify = stubVerifier{}
	return d
}

func TestUnverifiedNotes(t *testing.T) {
	no := func(tag, why string) policy.Verdict {
		return policy.Verdict{Tag: tag, Signature: "not verified: " + why}
	}
	ok := policy.Verdict{Tag: "1.0.0", Signature: "verified: signed by k", Eligible: true}
	plain := updater.Decision{NewTag: "9.9.9", Verdicts: []policy.Verdict{no("x", "ignored: verification off")}}
	ds := []updater.Decision{
		plain,
		verifiedDecision("a", "web", "1.0.0", no("2.0.0", "no signature"), no("1.5.0", "wrong key"), ok),
		verifiedDecision("a", "db", "1.0.0", ok),
		verifiedDecision("b", "api", "", no("3", "no signature"), no("2", "no signature"), no("1", "unreadable signature"), no("0", "no signature")),
	}
	notes, verifying := unverifiedNotes(ds)
	if verifying != 3 || len(notes) != 2 {
		t.Fatalf("verifying %d notes %+v", verifying, notes)
	}
	if want := "image web=reg/web: newer tags not verified: 2.0.0 (no signature), 1.5.0 (wrong key); newest verified tag is 1.0.0"; notes[0].text != want || !notes[0].chosen {
		t.Errorf("note 0 = %q", notes[0].text)
	}
	if want := "image api=reg/api: no tag verified (3 (no signature), 2 (no signature), 1 (unreadable signature) and 1 more); not updated"; notes[1].text != want || notes[1].chosen {
		t.Errorf("note 1 = %q", notes[1].text)
	}

	var st v1alpha1.ImageUpdaterStatus
	setVerifiedCondition(&st, 3, Outcome{Result: cycle.Result{Decisions: ds}})
	c := apimeta.FindStatusCondition(st.Conditions, ConditionImagesVerified)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ReasonUnverifiedTags || !strings.Contains(c.Message, "application argocd/a image web=reg/web") || c.ObservedGeneration != 3 {
		t.Fatalf("condition %+v", c)
	}
	setVerifiedCondition(&st, 4, Outcome{Result: cycle.Result{Decisions: ds[2:3]}})
	if c := apimeta.FindStatusCondition(st.Conditions, ConditionImagesVerified); c == nil || c.Status != metav1.ConditionTrue || c.Reason != ReasonAllVerified {
		t.Fatalf("all verified: %+v", c)
	}
	setVerifiedCondition(&st, 5, Outcome{Result: cycle.Result{Decisions: ds[:1]}})
	if c := apimeta.FindStatusCondition(st.Conditions, ConditionImagesVerified); c != nil {
		t.Fatalf("no verification, condition kept: %+v", c)
	}
	if s := unverifiedSummary(Outcome{Result: cycle.Result{Decisions: ds}}); !strings.Contains(s, "2 image(s) kept from newer tags") {
		t.Errorf("summary %q", s)
	}
	if s := unverifiedSummary(Outcome{Result: cycle.Result{Decisions: ds[:3:3][2:]}}); s != "" {
		t.Errorf("summary without notes %q", s)
	}
}

func TestWarnUnverifiedRecordsOncePerChange(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	e := &Engine{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
		Warnings: func(app *argocd.Application, reason, msg string) { got = append(got, app.Name+" "+reason+" "+msg) }}
	apps := map[target.AppRef]*argocd.Application{{Namespace: "argocd", Name: "a"}: {ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: "a"}}}
	no := policy.Verdict{Tag: "2.0.0", Signature: "not verified: no signature"}
	held := []updater.Decision{verifiedDecision("a", "web", "1.0.0", no)}
	clean := []updater.Decision{verifiedDecision("a", "web", "1.0.0")}
	steps := []struct {
		ds   []updater.Decision
		step time.Duration
		want int
	}{
		{held, 0, 1},                // first time
		{held, time.Minute, 1},      // unchanged: no Event
		{held, 61 * time.Minute, 2}, // an hour later: again
		{clean, time.Minute, 2},     // verified again: nothing, and forgotten
		{held, time.Minute, 3},      // fails again: at once
		{[]updater.Decision{verifiedDecision("a", "web", "1.0.0", no, policy.Verdict{Tag: "1.9.0", Signature: "not verified: wrong key"})}, time.Minute, 4}, // changed
	}
	for i, s := range steps {
		now = now.Add(s.step)
		e.warnUnverified(context.Background(), s.ds, apps)
		if len(got) != s.want {
			t.Fatalf("step %d: %d Events, want %d: %v", i, len(got), s.want, got)
		}
	}
	if !strings.HasPrefix(got[0], "a "+WarningUnverifiedImages+" Signature verification: image web=reg/web: newer tags not verified: 2.0.0 (no signature)") {
		t.Errorf("event %q", got[0])
	}
}
