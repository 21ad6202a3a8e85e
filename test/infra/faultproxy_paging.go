package infra

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
)

// SetTagPaging makes the proxy paginate tag lists itself, as newer
// registries do (distribution 2.8 ignores n=): a request with n= gets at most
// n sorted tags after last=, and a Link header to the next page.
func (p *FaultProxy) SetTagPaging(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paging = on
}

// pagingHandler serves paged tag lists from backend's full list.
type pagingHandler struct{ backend http.Handler }

func (h pagingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 1 {
		h.backend.ServeHTTP(w, r)
		return
	}
	full := r.Clone(r.Context())
	full.URL.RawQuery = ""
	rec := httptest.NewRecorder()
	h.backend.ServeHTTP(rec, full)
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	page, more := pageOf(list.Tags, q.Get("last"), n)
	if more {
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"name": list.Name, "tags": page})
}

// pageOf returns up to n sorted tags after last and whether more follow.
func pageOf(tags []string, last string, n int) ([]string, bool) {
	sorted := append([]string(nil), tags...)
	sort.Strings(sorted)
	start := sort.SearchStrings(sorted, last)
	if last != "" && start < len(sorted) && sorted[start] == last {
		start++
	}
	rest := sorted[start:]
	if len(rest) > n {
		return rest[:n], true
	}
	return rest, false
}
