package infra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// KubeDecodeYAML splits a multi-document YAML (or JSON) stream into objects,
// skipping empty documents.
func KubeDecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode YAML document %d: %w", len(objs)+1, err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// Apply sends obj with server-side apply as field manager "imagepilot-test",
// forcing ownership; extra options (client.DryRunAll) are passed on.
func (e *KubeEnv) Apply(ctx context.Context, obj *unstructured.Unstructured, opts ...client.ApplyOption) error {
	all := append([]client.ApplyOption{client.FieldOwner("imagepilot-test"), client.ForceOwnership}, opts...)
	if err := e.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), all...); err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
