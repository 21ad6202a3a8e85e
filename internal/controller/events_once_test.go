package controller

import (
	"testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// TestOneEventPerApplication checks that an application written by argocd
// write-back gets its Event as its patch succeeds, one written by argocd
// and git gets one Event after both, and none gets two.
func TestOneEventPerApplication(t *testing.T) {
	argoOnly := target.AppRef{Namespace: "apps", Name: "argo-only"}
	both := target.AppRef{Namespace: "apps", Name: "both"}
	failed := target.AppRef{Namespace: "apps", Name: "failed"}
	dec := func(app target.AppRef, m string) updater.Decision {
		return updater.Decision{Item: updater.Item{Target: target.Target{App: app, WriteBack: target.WriteBack{Method: m}}}, Action: updater.ActionUpdate, NewTag: "2"}
	}
	decisions := []updater.Decision{dec(argoOnly, target.MethodArgoCD), dec(both, target.MethodArgoCD), dec(both, target.MethodGit), dec(failed, target.MethodArgoCD)}
	apps := map[target.AppRef]*argocd.Application{}
	for _, r := range []target.AppRef{argoOnly, both, failed} {
		a := &argocd.Application{}
		a.Namespace, a.Name = r.Namespace, r.Name
		apps[r] = a
	}
	got := map[string]int{}
	e := &Engine{Events: func(app *argocd.Application, _ string) { got[app.Name]++ }}
	written, evented := e.eventAsWritten(decisions, apps)
	written(writeback.AppResult{App: argoOnly, Changed: true, Applied: decisions[:1]})
	if got["argo-only"] != 1 {
		t.Fatalf("no Event as argo-only was written: %v", got)
	}
	written(writeback.AppResult{App: both, Changed: true, Applied: decisions[1:2]})
	written(writeback.AppResult{App: failed, Err: writeback.ErrConflict})
	e.recordEvents(
		[]writeback.AppResult{{App: argoOnly, Changed: true, Applied: decisions[:1]}, {App: both, Changed: true, Applied: decisions[1:2]}, {App: failed, Err: writeback.ErrConflict}},
		[]writeback.GroupResult{{Pushed: true, Applied: decisions[2:3]}},
		apps, evented)
	want := map[string]int{"argo-only": 1, "both": 1}
	if len(got) != len(want) || got["argo-only"] != 1 || got["both"] != 1 {
		t.Fatalf("events per application = %v, want %v", got, want)
	}
}
