package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// errKind classifies a reconcile error.
type errKind int

const (
	noErr errKind = iota
	terminalErr
	transientErr
)

func kindOf(err error) errKind {
	switch {
	case err == nil:
		return noErr
	case isTerminal(err):
		return terminalErr
	default:
		return transientErr
	}
}

type condWant struct {
	status metav1.ConditionStatus
	reason string
	msg    string // substring
}

func checkConditions(t *testing.T, iu *v1alpha1.ImageUpdater, want map[string]*condWant) {
	t.Helper()
	for typ, w := range want {
		c := apimeta.FindStatusCondition(iu.Status.Conditions, typ)
		switch {
		case w == nil && c != nil:
			t.Errorf("condition %s = %+v, want none", typ, c)
		case w != nil && (c == nil || c.Status != w.status || c.Reason != w.reason || !strings.Contains(c.Message, w.msg)):
			t.Errorf("condition %s = %+v, want %+v", typ, c, *w)
		}
	}
}

var badSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Equals"}}}

// TestReconcileRequest drives the outer reconcile the manager runs: one
// status patch per pass (none when nothing changed), the error classified
// (terminal for the ImageUpdater's own configuration, transient for what
// may go away), the requeue after the interval, Events on transitions.
func TestReconcileRequest(t *testing.T) {
	type pass struct {
		before  func(*testing.T, *testEnv) // runs before the pass
		patches int                        // status patches of this pass
		err     errKind
		requeue bool // RequeueAfter is the interval
	}
	for _, tc := range []struct {
		name   string
		broken bool // the ImageUpdater has an invalid applicationRef
		passes []pass
		conds  map[string]*condWant
		tag    string   // web's tag afterwards
		warns  []string // Warning Event reasons on the ImageUpdater
		apps   int      // Warning Events on Applications
	}{
		{
			name:   "pass updates the application in one status patch",
			passes: []pass{{patches: 1, requeue: true}},
			conds: map[string]*condWant{
				v1alpha1.ConditionReady:       {metav1.ConditionTrue, v1alpha1.ReasonReconcileSucceeded, "Reconciled 1 applications, 1 images updated"},
				v1alpha1.ConditionReconciling: {metav1.ConditionFalse, v1alpha1.ReasonIdle, ""},
				v1alpha1.ConditionStalled:     nil,
			},
			tag: "1.1.0",
		},
		{
			name: "unchanged status is not patched again",
			// Same clock, nothing new: the second pass writes nothing.
			// Same clock: the second pass changes only the Ready message
			// (nothing updated), the third writes nothing.
			passes: []pass{{patches: 1, requeue: true}, {patches: 1, requeue: true}, {patches: 0, requeue: true}},
			tag:    "1.1.0",
		},
		{
			name: "a later pass patches lastCheckedAt only",
			passes: []pass{{patches: 1, requeue: true}, {before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.now = env.now.Add(time.Minute) })
			}, patches: 1, requeue: true}},
			tag: "1.1.0",
		},
		{
			name:   "invalid applicationRef stalls: terminal, Ready=False, one Event",
			broken: true,
			passes: []pass{{patches: 1, err: terminalErr}},
			conds: map[string]*condWant{
				v1alpha1.ConditionStalled: {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "spec.applicationRefs[0].labelSelectors"},
				v1alpha1.ConditionReady:   {metav1.ConditionFalse, v1alpha1.ReasonInvalidConfiguration, "not retried until the spec changes"},
				v1alpha1.ConditionError:   {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "labelSelectors"},
			},
			tag: "1.0.0", warns: []string{WarningStalled}, apps: 1,
		},
		{
			name:   "stalled on its generation: not reconciled again",
			broken: true,
			passes: []pass{{patches: 1, err: terminalErr}, {patches: 0}, {patches: 0}},
			tag:    "1.0.0", warns: []string{WarningStalled}, apps: 1,
		},
		{
			name:   "spec fixed (new generation): recovers, Stalled removed",
			broken: true,
			passes: []pass{{patches: 1, err: terminalErr}, {before: func(t *testing.T, env *testEnv) {
				respec(t, env, func(iu *v1alpha1.ImageUpdater) { iu.Spec.ApplicationRefs[0].LabelSelectors = nil })
			}, patches: 1, requeue: true}},
			conds: map[string]*condWant{
				v1alpha1.ConditionStalled: nil,
				v1alpha1.ConditionReady:   {metav1.ConditionTrue, v1alpha1.ReasonReconcileSucceeded, "1 images updated"},
				v1alpha1.ConditionError:   {metav1.ConditionFalse, v1alpha1.ReasonNoErrors, ""},
			},
			tag: "1.1.0", warns: []string{WarningStalled}, apps: 1,
		},
		{
			name:   "broken again after a fix: a second Event",
			broken: true,
			passes: []pass{{patches: 1, err: terminalErr}, {before: func(t *testing.T, env *testEnv) {
				respec(t, env, func(iu *v1alpha1.ImageUpdater) { iu.Spec.ApplicationRefs[0].LabelSelectors = nil })
			}, patches: 1, requeue: true}, {before: func(t *testing.T, env *testEnv) {
				respec(t, env, func(iu *v1alpha1.ImageUpdater) { iu.Spec.ApplicationRefs[0].NamePattern = "[web" })
			}, patches: 1, err: terminalErr}},
			conds: map[string]*condWant{v1alpha1.ConditionStalled: {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "spec.applicationRefs[0].namePattern"}},
			tag:   "1.1.0", warns: []string{WarningStalled, WarningStalled}, apps: 2,
		},
		{
			name: "listing Applications fails: transient, Ready=False",
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.failAppList = errors.New("connection refused") })
			}, patches: 1, err: transientErr}},
			conds: map[string]*condWant{
				v1alpha1.ConditionReady: {metav1.ConditionFalse, v1alpha1.ReasonReconcileFailed, "connection refused"},
				v1alpha1.ConditionError: {metav1.ConditionTrue, v1alpha1.ReasonReconcileError, "connection refused"},
			},
			tag: "1.0.0",
		},
		{
			name: "listing ImageUpdaters for conflicts fails: transient",
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.failIUList = errors.New("etcd timeout") })
			}, patches: 1, err: transientErr}},
			conds: map[string]*condWant{v1alpha1.ConditionReady: {metav1.ConditionFalse, v1alpha1.ReasonReconcileFailed, "listing image updaters: etcd timeout"}},
			tag:   "1.0.0",
		},
		{
			name: "status patch fails: transient, and retried when it works",
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) {
					env.failStatus = errors.New("the server is currently unable to handle the request")
				})
			}, patches: 1, err: transientErr}, {before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.failStatus = nil })
			}, patches: 1, requeue: true}},
			conds: map[string]*condWant{v1alpha1.ConditionReady: {metav1.ConditionTrue, v1alpha1.ReasonReconcileSucceeded, "Reconciled 1 applications"}},
			tag:   "1.1.0",
		},
		{
			name:   "status patch of a stalled pass fails: transient, not terminal",
			broken: true,
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.failStatus = errors.New("conflict") })
			}, patches: 1, err: transientErr}, {before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.failStatus = nil })
			}, patches: 1, err: terminalErr}},
			conds: map[string]*condWant{v1alpha1.ConditionStalled: {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, ""}},
			// The failed patch recorded no transition: the Event comes once,
			// with the patch that landed.
			tag: "1.0.0", warns: []string{WarningStalled}, apps: 2,
		},
		{
			name: "registry failure: no error, next pass at the interval, one Event",
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.registryDown = true })
			}, patches: 1, requeue: true}, {before: func(t *testing.T, env *testEnv) {
				env.set(func(env *testEnv) { env.now = env.now.Add(2 * time.Minute) })
			}, patches: 1, requeue: true}},
			conds: map[string]*condWant{
				v1alpha1.ConditionReady: {metav1.ConditionTrue, v1alpha1.ReasonReconcileCompletedWithErrors, "1 in error"},
				v1alpha1.ConditionError: {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, "image: application apps/web"},
			},
			tag: "1.0.0", warns: []string{WarningRegistryQueryFailed},
		},
		{
			name: "key Secret unreadable: transient, application left alone",
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.e.Secrets = &fakeSecrets{err: errors.New("dial tcp: i/o timeout")}
				iu := env.get(t, "apps", "iu")
				iu.Spec.ImagesVerification = &v1alpha1.ImagesVerification{CosignKey: &v1alpha1.SecretKeyRef{SecretName: "cosign", Key: "cosign.pub"}}
				if err := env.c.Update(context.Background(), iu); err != nil {
					t.Fatal(err)
				}
			}, patches: 1, err: transientErr}},
			conds: map[string]*condWant{v1alpha1.ConditionError: {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, "i/o timeout"}},
			tag:   "1.0.0", apps: 1,
		},
		{
			name: "key Secret missing: a configuration error of the application only",
			passes: []pass{{before: func(t *testing.T, env *testEnv) {
				env.e.Secrets = &fakeSecrets{}
				iu := env.get(t, "apps", "iu")
				iu.Spec.ImagesVerification = &v1alpha1.ImagesVerification{CosignKey: &v1alpha1.SecretKeyRef{SecretName: "cosign", Key: "cosign.pub"}}
				if err := env.c.Update(context.Background(), iu); err != nil {
					t.Fatal(err)
				}
			}, patches: 1, requeue: true}},
			conds: map[string]*condWant{
				v1alpha1.ConditionError:   {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, "configuration: "},
				v1alpha1.ConditionStalled: nil,
			},
			tag: "1.0.0", apps: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			web := env.push(t, "team/web", "1.0.0", "1.1.0")
			ref := imageRef("web", web)
			if tc.broken {
				ref.LabelSelectors = badSelector
			}
			// A second, valid ref selects web too, so the broken one
			// blocks an application (Warning Event on it).
			refs := []v1alpha1.ApplicationRef{ref}
			if tc.broken {
				refs = append(refs, imageRef("*", web))
			}
			for _, obj := range []client.Object{helmApplication("apps", "web", web, "1.0.0"), imageUpdater("apps", "iu", 1, refs...)} {
				if err := env.c.Create(context.Background(), obj); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range tc.passes {
				if p.before != nil {
					p.before(t, env)
				}
				before := env.patches()
				res, err := env.e.reconcileRequest(context.Background(), types.NamespacedName{Namespace: "apps", Name: "iu"})
				if got := env.patches() - before; got != p.patches {
					t.Errorf("pass %d: %d status patches, want %d", i, got, p.patches)
				}
				if kindOf(err) != p.err {
					t.Errorf("pass %d: error %v (kind %d), want kind %d", i, err, kindOf(err), p.err)
				}
				if got := res.RequeueAfter == time.Minute; got != p.requeue {
					t.Errorf("pass %d: result %+v, requeue after the interval: %v", i, res, p.requeue)
				}
			}
			iu := env.get(t, "apps", "iu")
			checkConditions(t, iu, tc.conds)
			if iu.Status.ObservedGeneration != iu.Generation {
				t.Errorf("observedGeneration %d, generation %d", iu.Status.ObservedGeneration, iu.Generation)
			}
			if got := env.tagOf(t, "apps", "web"); got != tc.tag {
				t.Errorf("web at %s, want %s", got, tc.tag)
			}
			uw, aw := env.warnings()
			var reasons []string
			for _, w := range uw {
				reasons = append(reasons, strings.SplitN(w, ":", 2)[0])
			}
			if strings.Join(reasons, ",") != strings.Join(tc.warns, ",") {
				t.Errorf("ImageUpdater Events %q, want reasons %v", uw, tc.warns)
			}
			if len(aw) != tc.apps {
				t.Errorf("Application Events %q, want %d", aw, tc.apps)
			}
		})
	}
}

// respec changes the spec of apps/iu as a user would: a new generation.
func respec(t *testing.T, env *testEnv, edit func(*v1alpha1.ImageUpdater)) {
	t.Helper()
	iu := env.get(t, "apps", "iu")
	edit(iu)
	iu.Generation++
	if err := env.c.Update(context.Background(), iu); err != nil {
		t.Fatal(err)
	}
}

// TestReconcileRequestGoneOrDeleting: a missing ImageUpdater forgets its
// metrics and a deleting one is left alone, both without a patch or a
// requeue; a read failure other than NotFound is transient.
func TestReconcileRequestGoneOrDeleting(t *testing.T) {
	now := metav1.Now()
	deleting := imageUpdater("apps", "iu", 1, imageRef("web", "reg.example/web"))
	deleting.DeletionTimestamp, deleting.Finalizers = &now, []string{"example.com/keep"}
	for _, tc := range []struct {
		name    string
		objs    []client.Object
		readErr error
		err     errKind
	}{
		{name: "not found", objs: nil},
		{name: "being deleted", objs: []client.Object{deleting}},
		{name: "read fails", readErr: apierrors.NewServiceUnavailable("try later"), err: transientErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, tc.objs...)
			if tc.readErr != nil {
				env.e.Client = failingGet{Client: env.c, err: tc.readErr}
			}
			res, err := env.e.reconcileRequest(context.Background(), types.NamespacedName{Namespace: "apps", Name: "iu"})
			if kindOf(err) != tc.err || res != (reconcile.Result{}) || env.patches() != 0 {
				t.Errorf("result %+v, error %v, %d patches", res, err, env.patches())
			}
		})
	}
}

// failingGet fails every Get with err.
type failingGet struct {
	client.Client
	err error
}

func (f failingGet) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return f.err
}

// TestRunOnceSharesTheOuterReconcile: RunOnce patches each ImageUpdater
// once, reports transient failures and leaves stalled ones to their
// status.
func TestRunOnceSharesTheOuterReconcile(t *testing.T) {
	env := newTestEnv(t)
	web := env.push(t, "team/web", "1.0.0", "1.2.0")
	broken := imageRef("other", web)
	broken.NamePattern = "[other"
	for _, obj := range []client.Object{helmApplication("apps", "web", web, "1.0.0"), imageUpdater("apps", "good", 1, imageRef("web", web)), imageUpdater("apps", "broken", 1, broken)} {
		if err := env.c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.e.RunOnce(context.Background()); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if env.patches() != 2 || env.tagOf(t, "apps", "web") != "1.2.0" {
		t.Errorf("%d patches, web at %s", env.patches(), env.tagOf(t, "apps", "web"))
	}
	checkConditions(t, env.get(t, "apps", "broken"), map[string]*condWant{v1alpha1.ConditionStalled: {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "invalid glob"}})
	env.set(func(env *testEnv) { env.failAppList = errors.New("forbidden") })
	err := env.e.RunOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "imageupdater apps/good") || strings.Contains(err.Error(), "apps/broken") {
		t.Errorf("RunOnce with failing lists: %v (the stalled one is not run again)", err)
	}
}

// TestTransitionWarnings: Warning Events are due only when the condition
// reporting their problem changes.
func TestTransitionWarnings(t *testing.T) {
	cond := func(typ string, s metav1.ConditionStatus, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: s, Message: msg}
	}
	wb := passReport{ran: true, out: outcomeWith(t, "patch of apps/web failed", "")}
	img := passReport{ran: true, out: outcomeWith(t, "", "tags of reg/web: 503")}
	both := passReport{ran: true, out: outcomeWith(t, "patch of apps/web failed", "tags of reg/web: 503")}
	errMsg := func(r passReport) string {
		var st v1alpha1.ImageUpdaterStatus
		setConditions(&st, 1, r.out)
		return apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionError).Message
	}
	for _, tc := range []struct {
		name          string
		before, after []metav1.Condition
		rep           passReport
		want          []string // reasons
		note          string   // substring of the first note
	}{
		{name: "becomes stalled", after: []metav1.Condition{cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, "bad glob")},
			rep: passReport{stalled: errors.New("bad glob")}, want: []string{WarningStalled}, note: "bad glob"},
		{name: "still stalled, same message", before: []metav1.Condition{cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, "bad glob")},
			after: []metav1.Condition{cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, "bad glob")}, rep: passReport{stalled: errors.New("bad glob")}},
		{name: "stalled on another error", before: []metav1.Condition{cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, "bad glob")},
			after: []metav1.Condition{cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, "bad selector")}, rep: passReport{stalled: errors.New("bad selector")},
			want: []string{WarningStalled}, note: "bad selector"},
		{name: "write-back starts failing", after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(wb))},
			rep: wb, want: []string{WarningWriteBackFailed}, note: "patch of apps/web failed"},
		{name: "write-back still failing", before: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(wb))},
			after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(wb))}, rep: wb},
		{name: "registry fails too: only the new problem", before: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(wb))},
			after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(both))}, rep: both,
			want: []string{WarningRegistryQueryFailed}, note: "tags of reg/web: 503"},
		{name: "both start failing", after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(both))}, rep: both,
			want: []string{WarningWriteBackFailed, WarningRegistryQueryFailed}},
		{name: "failing again after a clean pass", before: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionFalse, "No errors")},
			after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(img))}, rep: img, want: []string{WarningRegistryQueryFailed}},
		{name: "errors cleared", before: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, errMsg(img))},
			after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionFalse, "No errors")}, rep: passReport{ran: true}},
		{name: "only a configuration problem", after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, "configuration: x")},
			rep: passReport{ran: true, out: Outcome{Conflicts: []string{"x"}}}},
		{name: "pass did not run", after: []metav1.Condition{cond(v1alpha1.ConditionError, metav1.ConditionTrue, "listing: refused")},
			rep: passReport{failed: errors.New("listing: refused")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := transitionWarnings(tc.before, tc.after, tc.rep)
			var reasons []string
			for _, w := range got {
				reasons = append(reasons, w.reason)
			}
			if strings.Join(reasons, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("warnings %+v, want reasons %v", got, tc.want)
			}
			if tc.note != "" && !strings.Contains(got[0].message, tc.note) {
				t.Errorf("note %q lacks %q", got[0].message, tc.note)
			}
		})
	}
}

// outcomeWith is an Outcome with an argocd write-back failure (writeErr)
// and an image error (imageErr), each when not empty.
func outcomeWith(t *testing.T, writeErr, imageErr string) Outcome {
	t.Helper()
	var o Outcome
	o.Applications = 1
	if writeErr != "" {
		o.ArgoCD = append(o.ArgoCD, writeback.AppResult{App: target.AppRef{Namespace: "apps", Name: "web"}, Err: errors.New(writeErr)})
	}
	if imageErr != "" {
		d := dec("web", updater.ActionError)
		d.Reason = imageErr
		o.Decisions = append(o.Decisions, d)
	}
	return o
}

func TestStalledAtAndTerminal(t *testing.T) {
	stalled := func(gen, observed int64, s metav1.ConditionStatus) *v1alpha1.ImageUpdater {
		iu := imageUpdater("apps", "iu", gen)
		iu.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionStalled, Status: s, ObservedGeneration: observed}}
		return iu
	}
	for name, tc := range map[string]struct {
		iu   *v1alpha1.ImageUpdater
		want bool
	}{
		"stalled on this generation": {stalled(2, 2, metav1.ConditionTrue), true},
		"stalled on an older one":    {stalled(3, 2, metav1.ConditionTrue), false},
		"Stalled False":              {stalled(2, 2, metav1.ConditionFalse), false},
		"no condition":               {imageUpdater("apps", "iu", 2), false},
	} {
		if got := stalledAt(tc.iu); got != tc.want {
			t.Errorf("%s: stalledAt = %v", name, got)
		}
	}
	cause := errors.New("bad glob")
	for name, tc := range map[string]struct {
		err      error
		terminal bool
		unwrap   error
	}{
		"terminal":        {reconcile.TerminalError(cause), true, cause},
		"joined terminal": {errors.Join(errors.New("x"), reconcile.TerminalError(cause)), true, nil},
		"doubly terminal": {reconcile.TerminalError(reconcile.TerminalError(cause)), true, nil},
		"plain":           {cause, false, cause},
		"nil":             {nil, false, nil},
	} {
		if isTerminal(tc.err) != tc.terminal {
			t.Errorf("%s: isTerminal = %v", name, !tc.terminal)
		}
		if tc.unwrap != nil && unwrapTerminal(tc.err) != tc.unwrap {
			t.Errorf("%s: unwrapTerminal = %v", name, unwrapTerminal(tc.err))
		}
		if u := unwrapTerminal(tc.err); isTerminal(u) || tc.err != nil && !strings.Contains(u.Error(), "bad glob") {
			t.Errorf("%s: unwrapTerminal = %v, still terminal or lost the message", name, u)
		}
	}
}

// TestReconcileMetrics: a stalled ImageUpdater reports the applications
// it selects and no images; once it is gone its series are forgotten.
func TestReconcileMetrics(t *testing.T) {
	env := newTestEnv(t)
	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	env.e.Metrics = m
	broken := imageRef("web", "reg.example/web")
	broken.LabelSelectors = badSelector
	for _, obj := range []client.Object{helmApplication("apps", "web", "reg.example/web", "1"), imageUpdater("apps", "iu", 1, broken, imageRef("*", "reg.example/web"))} {
		if err := env.c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	nn := types.NamespacedName{Namespace: "apps", Name: "iu"}
	if _, err := env.e.reconcileRequest(context.Background(), nn); !isTerminal(err) {
		t.Fatalf("error %v, want terminal", err)
	}
	if a, i := testutil.ToFloat64(m.ApplicationsWatched.WithLabelValues("iu", "apps")), testutil.ToFloat64(m.ImagesWatched.WithLabelValues("iu", "apps")); a != 1 || i != 0 {
		t.Errorf("applications %v images %v, want 1 and 0", a, i)
	}
	if err := env.c.Delete(context.Background(), env.get(t, "apps", "iu")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.e.reconcileRequest(context.Background(), nn); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.ApplicationsWatched); n != 0 {
		t.Errorf("%d series left after deletion", n)
	}
}
