package v1alpha1

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func TestAddToScheme(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	gvks, _, err := s.ObjectKinds(&ImageUpdater{})
	if err != nil || len(gvks) != 1 || gvks[0] != GroupVersion.WithKind(Kind) {
		t.Errorf("ObjectKinds = %v, %v", gvks, err)
	}
	if _, err := s.New(GroupVersion.WithKind("ImageUpdaterList")); err != nil {
		t.Errorf("list kind not registered: %v", err)
	}
}
