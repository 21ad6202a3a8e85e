package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	kjson "sigs.k8s.io/json"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// AppStreamer lists Applications from the API server a page at a time and
// decodes each page one Application at a time, reducing each to what the
// controller reads (StripApplication) as it arrives. client-go reads a
// whole response before it decodes it: with real Applications (status
// resources, history, managed fields: tens of kilobytes each) a page of
// 500 is over 10 MB in memory at once, most of it dropped right after.
type AppStreamer struct {
	rest rest.Interface
}

// NewAppStreamer returns an AppStreamer over cfg (its rate limits and
// transport wrappers apply).
func NewAppStreamer(cfg *rest.Config) (*AppStreamer, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &argocd.GroupVersion
	c.APIPath = "/apis"
	c.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion()
	c.AcceptContentTypes = "application/json"
	c.ContentType = "application/json"
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("application list client: %w", err)
	}
	return &AppStreamer{rest: rc}, nil
}

// Page lists up to limit Applications of namespace ns ("" for all) after
// the continue token cont, hands each one (stripped) to visit, and returns
// the token of the next page ("" after the last).
func (s *AppStreamer) Page(ctx context.Context, ns string, limit int64, cont string, visit func(*argocd.Application)) (string, error) {
	req := s.rest.Get().Resource("applications").Param("limit", strconv.FormatInt(limit, 10))
	if ns != "" {
		req = req.Namespace(ns)
	}
	if cont != "" {
		req = req.Param("continue", cont)
	}
	body, err := req.Stream(ctx)
	if err != nil {
		return "", err
	}
	defer body.Close()
	meta, err := decodeApplicationList(body, visit)
	return meta.Continue, err
}

// List answers an informer's list request (a page of it when opts.Limit
// is set) with the Applications decoded one at a time and stripped, so the
// cache's first list never holds a whole response in memory. The list's
// metadata (resourceVersion, continue) is the API server's.
func (s *AppStreamer) List(ctx context.Context, ns string, opts metav1.ListOptions) (*argocd.ApplicationList, error) {
	req := s.rest.Get().Resource("applications").VersionedParams(&opts, metav1.ParameterCodec)
	if ns != "" {
		req = req.Namespace(ns)
	}
	body, err := req.Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	list := &argocd.ApplicationList{}
	meta, err := decodeApplicationList(body, func(a *argocd.Application) { list.Items = append(list.Items, *a) })
	if err != nil {
		return nil, err
	}
	list.ListMeta = meta
	return list, nil
}

// decodeApplicationList reads an ApplicationList from r one item at a
// time, whatever the order of its fields, and returns its metadata.
// Items are decoded as the API machinery does (case-sensitive field names,
// integers kept as integers).
func decodeApplicationList(r io.Reader, visit func(*argocd.Application)) (metav1.ListMeta, error) {
	var none, meta metav1.ListMeta
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return none, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return none, fmt.Errorf("application list: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "items":
			if err := decodeItems(dec, visit); err != nil {
				return none, err
			}
		case "metadata":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return none, fmt.Errorf("application list metadata: %w", err)
			}
			if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &meta); err != nil {
				return none, fmt.Errorf("application list metadata: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return none, fmt.Errorf("application list field %q: %w", key, err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return none, err
	}
	return meta, nil
}

// decodeItems decodes the items array, one Application in memory at a
// time.
func decodeItems(dec *json.Decoder, visit func(*argocd.Application)) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("application list item %d: %w", i, err)
		}
		var app argocd.Application
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &app); err != nil {
			return fmt.Errorf("application list item %d: %w", i, err)
		}
		stripApplication(&app)
		visit(&app)
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("application list: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("application list: found %v where %q was expected", tok, want)
	}
	return nil
}

// newInformer builds informers as controller-runtime does, with the lists
// of cluster-wide Application informers read through the streamer (the
// namespace of a namespaced informer is not visible here: those list as
// client-go does).
func (s *AppStreamer) newInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, idx toolscache.Indexers) toolscache.SharedIndexInformer {
	if _, ok := obj.(*argocd.Application); ok {
		if orig, ok := lw.(*toolscache.ListWatch); ok && orig.WatchFuncWithContext != nil {
			lw = &toolscache.ListWatch{
				ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
					return s.List(ctx, "", opts)
				},
				WatchFuncWithContext: orig.WatchFuncWithContext,
			}
		}
	}
	return toolscache.NewSharedIndexInformer(lw, obj, resync, idx)
}
