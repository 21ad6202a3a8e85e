package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	kjson "sigs.k8s.io/json"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// appJSON is an Application as the API server sends it, with what the
// controller drops (managed fields, other annotations, status resources).
func appJSON(name string) string {
	return fmt.Sprintf(`{"apiVersion":"argoproj.io/v1alpha1","kind":"Application",
"metadata":{"name":%q,"namespace":"argocd","resourceVersion":"7",
 "annotations":{"argocd-image-updater.argoproj.io/image-list":"app=nginx","kubectl.kubernetes.io/last-applied-configuration":"{}"},
 "managedFields":[{"manager":"kubectl"}]},
"spec":{"source":{"repoURL":"https://git.example/repo","path":"apps","helm":{"parameters":[{"name":"image.tag","value":"1.0"}]}},"destination":{}},
"status":{"resources":[{"kind":"Deployment","name":"x"}],"history":[{"id":1}],"summary":{"images":["nginx:1.0"]},"sourceType":"Helm"}}`, name)
}

func TestDecodeApplicationList(t *testing.T) {
	items := "[" + appJSON("a") + "," + appJSON("b") + "]"
	for _, tc := range []struct {
		name     string
		body     string
		want     []string
		wantCont string
		wantErr  string
	}{
		{name: "kind first, metadata last", body: `{"kind":"ApplicationList","apiVersion":"argoproj.io/v1alpha1","items":` + items + `,"metadata":{"continue":"next-page","resourceVersion":"9"}}`,
			want: []string{"a", "b"}, wantCont: "next-page"},
		{name: "sorted keys (metadata after items)", body: `{"apiVersion":"argoproj.io/v1alpha1","items":` + items + `,"kind":"ApplicationList","metadata":{}}`,
			want: []string{"a", "b"}},
		{name: "metadata before items", body: `{"metadata":{"continue":"c2"},"items":` + items + `}`, want: []string{"a", "b"}, wantCont: "c2"},
		{name: "no items", body: `{"items":[],"metadata":{}}`},
		{name: "null items", body: `{"items":null}`, wantErr: "expected"},
		{name: "not an object", body: `[]`, wantErr: "expected"},
		{name: "truncated", body: `{"items":[` + appJSON("a"), wantErr: "application list"},
		{name: "bad item", body: `{"items":[{"metadata":{"name":5}}]}`, wantErr: "item 0"},
		{name: "bad metadata", body: `{"metadata":{"continue":5},"items":[]}`, wantErr: "metadata"},
		{name: "empty", body: ``, wantErr: "application list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []*argocd.Application
			meta, err := decodeApplicationList(strings.NewReader(tc.body), func(a *argocd.Application) { got = append(got, a) })
			cont := meta.Continue
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cont != tc.wantCont {
				t.Errorf("continue = %q, want %q", cont, tc.wantCont)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d items, want %d", len(got), len(tc.want))
			}
			for i, a := range got {
				if a.Name != tc.want[i] || a.ResourceVersion != "7" {
					t.Errorf("item %d: %s rv %s", i, a.Name, a.ResourceVersion)
				}
				// Reduced as the informer's transform reduces cached objects.
				if a.ManagedFields != nil || len(a.Annotations) != 1 || a.Status.Summary.Images[0] != "nginx:1.0" || a.Status.SourceType != "Helm" {
					t.Errorf("item %d not stripped: %+v", i, a.ObjectMeta)
				}
				if p := a.Spec.Source.Helm.Parameters; len(p) != 1 || p[0].Value != "1.0" {
					t.Errorf("item %d lost its spec: %+v", i, a.Spec)
				}
			}
		})
	}
}

// The API machinery matches field names case-sensitively: "Metadata" is
// not metadata (encoding/json alone would take it).
func TestDecodeApplicationListIsCaseSensitive(t *testing.T) {
	var got []*argocd.Application
	_, err := decodeApplicationList(strings.NewReader(`{"items":[{"Metadata":{"name":"sneaky"},"metadata":{"name":"real"}}]}`), func(a *argocd.Application) { got = append(got, a) })
	if err != nil || len(got) != 1 || got[0].Name != "real" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// Each item matches what decoding the whole list (then stripping) gives.
func TestDecodeApplicationListMatchesWholeDecode(t *testing.T) {
	body := `{"items":[` + appJSON("a") + `,` + appJSON("b") + `],"metadata":{"continue":"x"}}`
	var whole argocd.ApplicationList
	if err := json.Unmarshal([]byte(body), &whole); err != nil {
		t.Fatal(err)
	}
	var got []argocd.Application
	if _, err := decodeApplicationList(strings.NewReader(body), func(a *argocd.Application) { got = append(got, *a) }); err != nil {
		t.Fatal(err)
	}
	for i := range whole.Items {
		stripApplication(&whole.Items[i])
		a, b := mustJSON(t, whole.Items[i]), mustJSON(t, got[i])
		if a != b {
			t.Errorf("item %d:\nwhole  %s\nstream %s", i, a, b)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FuzzDecodeApplicationList(f *testing.F) {
	f.Add(`{"items":[` + appJSON("a") + `],"metadata":{"continue":"c"}}`)
	f.Add(`{"items":[]}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, body string) {
		_, err := decodeApplicationList(strings.NewReader(body), func(a *argocd.Application) {
			if a.ManagedFields != nil {
				t.Fatal("an item was not stripped")
			}
		})
		if err == nil && !strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), "{") {
			t.Fatalf("accepted a list that is not an object: %q", body)
		}
	})
}

// realisticPage is a page of 500 Applications of about 28 KB each, the
// size of real ones (status resources and history dominate).
func realisticPage(b *testing.B) []byte {
	b.Helper()
	var res strings.Builder
	for i := range 50 {
		if i > 0 {
			res.WriteString(",")
		}
		fmt.Fprintf(&res, `{"group":"apps","version":"v1","kind":"Deployment","namespace":"team","name":"component-%d","status":"Synced","health":{"status":"Healthy","message":"%s"}}`, i, strings.Repeat("m", 300))
	}
	app := strings.Replace(appJSON("x"), `"resources":[{"kind":"Deployment","name":"x"}]`, `"resources":[`+res.String()+`]`, 1)
	items := make([]string, 500)
	for i := range items {
		items[i] = app
	}
	return []byte(`{"apiVersion":"argoproj.io/v1alpha1","items":[` + strings.Join(items, ",") + `],"kind":"ApplicationList","metadata":{"continue":"c"}}`)
}

// BenchmarkDecodeApplicationList compares reading a page whole (what
// client-go does: the body in memory, then one decode) with the streaming
// decoder.
func BenchmarkDecodeApplicationList(b *testing.B) {
	page := realisticPage(b)
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			body, _ := io.ReadAll(bytes.NewReader(page)) // as client-go reads the response
			var list argocd.ApplicationList
			if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &list); err != nil {
				b.Fatal(err)
			}
			for i := range list.Items {
				stripApplication(&list.Items[i])
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			n := 0
			if _, err := decodeApplicationList(bytes.NewReader(page), func(*argocd.Application) { n++ }); err != nil || n != 500 {
				b.Fatal(n, err)
			}
		}
	})
}

// apiServerStub answers Application list requests with body and records
// their query strings.
func apiServerStub(t *testing.T, body string) (*AppStreamer, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis/argoproj.io/v1alpha1/applications" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	s, err := NewAppStreamer(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s, &queries
}

func TestAppStreamerListKeepsTheListMetadata(t *testing.T) {
	s, queries := apiServerStub(t, `{"items":[`+appJSON("a")+`],"metadata":{"resourceVersion":"42","continue":"more"}}`)
	list, err := s.List(context.Background(), "", metav1.ListOptions{Limit: 500, ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if list.ResourceVersion != "42" || list.Continue != "more" || len(list.Items) != 1 || list.Items[0].ManagedFields != nil {
		t.Fatalf("list %+v", list)
	}
	if q := (*queries)[0]; !strings.Contains(q, "limit=500") || !strings.Contains(q, "resourceVersion=0") {
		t.Errorf("query %q does not carry the informer's options", q)
	}
}

// An Application informer built by the streamer's newInformer lists
// through the streamer (stripped items in its store) and watches as
// client-go does.
func TestStreamerInformerListsThroughTheStreamer(t *testing.T) {
	s, queries := apiServerStub(t, `{"items":[`+appJSON("a")+`,`+appJSON("b")+`],"metadata":{"resourceVersion":"7"}}`)
	fw := watch.NewFake()
	origListed := false
	lw := &toolscache.ListWatch{
		ListWithContextFunc: func(context.Context, metav1.ListOptions) (runtime.Object, error) {
			origListed = true
			return &argocd.ApplicationList{}, nil
		},
		WatchFuncWithContext: func(_ context.Context, o metav1.ListOptions) (watch.Interface, error) {
			if o.SendInitialEvents != nil && *o.SendInitialEvents {
				// A server without the watch-list: the reflector lists.
				return nil, apierrors.NewBadRequest("sendInitialEvents is not supported")
			}
			return fw, nil
		},
	}
	inf := s.newInformer(lw, &argocd.Application{}, 0, toolscache.Indexers{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go inf.RunWithContext(ctx)
	if !toolscache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}
	if origListed || len(*queries) == 0 {
		t.Fatalf("listed through the original ListWatch (%v) or not through the streamer (%d requests)", origListed, len(*queries))
	}
	items := inf.GetStore().List()
	if len(items) != 2 {
		t.Fatalf("%d items in the store, want 2", len(items))
	}
	for _, it := range items {
		if app := it.(*argocd.Application); app.ManagedFields != nil || len(app.Annotations) != 1 {
			t.Errorf("%s not stripped", app.Name)
		}
	}
	// Other kinds keep the ListWatch they were given.
	otherListed := false
	otherLW := &toolscache.ListWatch{
		ListWithContextFunc: func(context.Context, metav1.ListOptions) (runtime.Object, error) {
			otherListed = true
			return &argocd.ApplicationList{}, nil
		},
		WatchFuncWithContext: func(_ context.Context, o metav1.ListOptions) (watch.Interface, error) {
			if o.SendInitialEvents != nil && *o.SendInitialEvents {
				return nil, apierrors.NewBadRequest("sendInitialEvents is not supported")
			}
			return watch.NewFake(), nil
		},
	}
	before := len(*queries)
	other := s.newInformer(otherLW, &argocd.ApplicationList{}, 0, toolscache.Indexers{})
	go other.RunWithContext(ctx)
	syncCtx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	if !toolscache.WaitForCacheSync(syncCtx.Done(), other.HasSynced) || !otherListed || len(*queries) != before {
		t.Error("an informer of another type did not list through its own ListWatch")
	}
}
