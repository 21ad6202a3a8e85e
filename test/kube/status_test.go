package kube

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestImageUpdaterStatusSubresource(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "*", UseAnnotations: true}},
	}}
	iu.Namespace, iu.Name = env.Namespace(t), "status"
	if err := env.Client.Create(ctx, iu); err != nil {
		t.Fatalf("create: %v", err)
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	base := iu.DeepCopy()
	iu.Status = v1alpha1.ImageUpdaterStatus{
		ObservedGeneration:  iu.Generation,
		LastCheckedAt:       &now,
		LastUpdatedAt:       &now,
		ApplicationsMatched: 2,
		ImagesManaged:       3,
		RecentUpdates: []v1alpha1.RecentUpdate{{
			Alias: "web", Image: "ghcr.io/team/web", NewVersion: "1.4.2", ApplicationsUpdated: 2, UpdatedAt: now,
			Message: "from 1.4.1",
		}},
	}
	meta.SetStatusCondition(&iu.Status.Conditions, metav1.Condition{
		Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconcileSucceeded, Message: "Reconciled 2 applications, 1 images updated.",
	})
	meta.SetStatusCondition(&iu.Status.Conditions, metav1.Condition{
		Type: v1alpha1.ConditionError, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonNoErrors,
	})
	if err := env.Client.Status().Patch(ctx, iu, client.MergeFrom(base), client.FieldOwner("imagepilot-test")); err != nil {
		t.Fatalf("patch status: %v", err)
	}

	var got v1alpha1.ImageUpdater
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(iu), &got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Generation != base.Generation {
		t.Errorf("status patch changed generation %d -> %d", base.Generation, got.Generation)
	}
	if !meta.IsStatusConditionTrue(got.Status.Conditions, v1alpha1.ConditionReady) {
		t.Errorf("Ready condition not stored: %+v", got.Status.Conditions)
	}
	if len(got.Status.RecentUpdates) != 1 || got.Status.RecentUpdates[0].NewVersion != "1.4.2" || got.Status.ImagesManaged != 3 {
		t.Errorf("status not stored: %+v", got.Status)
	}

	// A status written through the main resource is ignored.
	spoof := got.DeepCopy()
	spoof.Status.ImagesManaged = 99
	if err := env.Client.Update(ctx, spoof); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(iu), &got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Status.ImagesManaged != 3 {
		t.Errorf("status changed through the main resource: %d", got.Status.ImagesManaged)
	}
}
