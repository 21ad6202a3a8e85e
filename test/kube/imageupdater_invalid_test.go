package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

// Objects upstream's CRD rejects; ours must reject them too, with the same
// rule.
func TestImageUpdaterInvalidRejected(t *testing.T) {
	env := infra.StartKube(t)
	ns := env.Namespace(t)
	tests := []struct {
		name, spec, wantMsg string
	}{
		{name: "no application refs", spec: `applicationRefs: []`, wantMsg: "applicationRefs"},
		{name: "ref without namePattern", spec: `applicationRefs: [{useAnnotations: true}]`, wantMsg: "namePattern"},
		{name: "ref without images or annotations", spec: `applicationRefs: [{namePattern: a}]`, wantMsg: "Either useAnnotations must be true"},
		{name: "bad alias", spec: `applicationRefs: [{namePattern: a, images: [{alias: "-x", imageName: nginx}]}]`, wantMsg: "alias"},
		{name: "image without name", spec: `applicationRefs: [{namePattern: a, images: [{alias: x}]}]`, wantMsg: "imageName"},
		{name: "duplicate alias", spec: `applicationRefs: [{namePattern: a, images: [{alias: x, imageName: a}, {alias: x, imageName: b}]}]`, wantMsg: "Duplicate value"},
		{name: "duplicate namePattern", spec: `applicationRefs: [{namePattern: a, useAnnotations: true}, {namePattern: a, useAnnotations: true}]`, wantMsg: "Duplicate value"},
		{name: "two manifest targets", spec: `applicationRefs: [{namePattern: a, images: [{alias: x, imageName: a, manifestTargets: {helm: {}, kustomize: {name: a}}}]}]`, wantMsg: "Exactly one of helm, kustomize, or plugin"},
		{name: "kustomize without name", spec: `applicationRefs: [{namePattern: a, images: [{alias: x, imageName: a, manifestTargets: {kustomize: {}}}]}]`, wantMsg: "name"},
		{name: "plugin with only tag", spec: `applicationRefs: [{namePattern: a, images: [{alias: x, imageName: a, manifestTargets: {plugin: {tag: T}}}]}]`, wantMsg: "At least one of spec or name"},
		{name: "plugin empty name", spec: `applicationRefs: [{namePattern: a, images: [{alias: x, imageName: a, manifestTargets: {plugin: {name: ""}}}]}]`, wantMsg: "name"},
		{name: "bad write-back method", spec: "writeBackConfig: {method: kubectl}\napplicationRefs: [{namePattern: a, useAnnotations: true}]", wantMsg: "method"},
		{name: "pull request with both forges", spec: "writeBackConfig: {method: git, gitConfig: {pullRequest: {github: {}, gitlab: {}}}}\napplicationRefs: [{namePattern: a, useAnnotations: true}]", wantMsg: "Exactly one of github, gitlab or gitea"},
		{name: "empty pull request label", spec: "writeBackConfig: {method: git, gitConfig: {pullRequest: {github: {}, labels: [\"\"]}}}\napplicationRefs: [{namePattern: a, useAnnotations: true}]", wantMsg: "labels"},
		{name: "verification without key", spec: "imagesVerification: {}\napplicationRefs: [{namePattern: a, useAnnotations: true}]", wantMsg: "cosignKey"},
		{name: "cosign key without secret", spec: "imagesVerification: {cosignKey: {key: k}}\napplicationRefs: [{namePattern: a, useAnnotations: true}]", wantMsg: "secretName"},
		{name: "forceUpdate not a bool", spec: "commonUpdateSettings: {forceUpdate: \"yes\"}\napplicationRefs: [{namePattern: a, useAnnotations: true}]", wantMsg: "forceUpdate"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: invalid-" +
				string(rune('a'+i)) + "}\nspec:\n  " + strings.ReplaceAll(tt.spec, "\n", "\n  ") + "\n"
			objs, err := infra.KubeDecodeYAML([]byte(doc))
			if err != nil || len(objs) != 1 {
				t.Fatalf("test YAML: %v (%d objects)\n%s", err, len(objs), doc)
			}
			objs[0].SetNamespace(ns)
			err = env.Client.Create(context.Background(), objs[0])
			if err == nil {
				t.Fatalf("accepted:\n%s", doc)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}
