package registry

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPingCache(t *testing.T) {
	var pings, others atomic.Int32
	status := atomic.Int32{}
	status.Store(http.StatusUnauthorized)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			others.Add(1)
			return
		}
		pings.Add(1)
		time.Sleep(20 * time.Millisecond) // let concurrent pings pile up
		w.Header().Set("WWW-Authenticate", `Bearer realm="x",service="y"`)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	clock := newClock()
	pc := newPingCache(http.DefaultTransport, clock.Now)
	ping := func() (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
		return pc.RoundTrip(req)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := ping()
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" || resp.Request == nil {
				t.Errorf("answer %d %v", resp.StatusCode, resp.Header)
			}
		})
	}
	wg.Wait()
	if n := pings.Load(); n != 1 {
		t.Errorf("%d pings for 20 concurrent askers, want 1", n)
	}
	clock.advance(pingTTL)
	status.Store(http.StatusInternalServerError)
	for range 2 { // an expired answer is asked again; a 500 is not kept
		resp, err := ping()
		if err != nil || resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("after expiry: %v, %v", resp, err)
		}
		resp.Body.Close()
	}
	if n := pings.Load(); n != 3 {
		t.Errorf("%d pings, want 3", n)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/x/tags/list", nil)
	if resp, err := pc.RoundTrip(req); err != nil || others.Load() != 1 {
		t.Fatalf("other requests must pass through: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	srv.Close()
	if _, err := ping(); err == nil {
		t.Fatalf("ping of a closed server: %v, want an error", err)
	}
}
