package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestNextLink(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    string
		wantErr bool
	}{
		{"none", "", "", false},
		{"relative path", `</v2/r/tags/list?n=2&last=b>; rel="next"`, "https://reg.example/v2/r/tags/list?n=2&last=b", false},
		{"absolute URL", `<https://reg.example/v2/r/tags/list?last=b>; rel="next"`, "https://reg.example/v2/r/tags/list?last=b", false},
		{"query only", `<?n=2&last=b>; rel="next"`, "https://reg.example/v2/r/tags/list?n=2&last=b", false},
		{"no angle brackets", `/v2/r/tags/list?last=b; rel="next"`, "", true},
		{"unclosed bracket", `</v2/r/tags/list?last=b; rel="next"`, "", true},
		{"text before the bracket", `x </v2/r/tags/list>; rel="next"`, "", true},
		{"bad URL", "<http://[::1/x>", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{}, Request: httptest.NewRequest(http.MethodGet, "https://reg.example/v2/r/tags/list?n=2", nil)}
			if tt.header != "" {
				resp.Header.Set("Link", tt.header)
			}
			u, err := nextLink(resp)
			if tt.wantErr {
				if !errors.Is(err, errIncompleteListing) {
					t.Fatalf("err = %v, want errIncompleteListing", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if u != nil {
				got = u.String()
			}
			if got != tt.want {
				t.Errorf("next = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSameRegistry(t *testing.T) {
	for _, tt := range []struct {
		link string
		ok   bool
	}{
		{"https://reg.example/v2/x", true},
		{"https://reg.example:443/v2/x", false}, // the host string must match as the repository names it
		{"https://evil.example/v2/x", false},
		{"https://reg.example.evil/v2/x", false},
	} {
		u, _ := url.Parse(tt.link)
		if err := sameRegistry(u, "reg.example"); (err == nil) != tt.ok {
			t.Errorf("sameRegistry(%s) = %v, want ok %v", tt.link, err, tt.ok)
		}
	}
}

func TestAfter(t *testing.T) {
	tests := []struct {
		tags []string
		last string
		want string
	}{
		{[]string{"a", "b"}, "", "a,b"},
		{[]string{"a", "b", "c", "d"}, "b", "c,d"},
		{[]string{"a", "b"}, "b", ""},
		{[]string{"c", "a", "d"}, "b", "c,d"},
	}
	for _, tt := range tests {
		in := append([]string(nil), tt.tags...)
		if got := strings.Join(after(in, tt.last), ","); got != tt.want {
			t.Errorf("after(%v, %q) = %q, want %q", tt.tags, tt.last, got, tt.want)
		}
		if strings.Join(in, ",") != strings.Join(tt.tags, ",") {
			t.Errorf("after modified its input: %v", in)
		}
	}
}

// pagedTags answers /tags/list from the list all, n at a time, with last=
// paging, behaving like the registry kind mode names; page may replace an
// answer.
type pagedTags struct {
	all      []string
	link     bool                      // send Link headers
	mode     string                    // "", "ignore n", "ignore last", "whole list after the first page", "inclusive last"
	page     func(i int) (int, string) // optional override of page i: status, body
	requests atomic.Int32
}

func (p *pagedTags) handle(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasSuffix(r.URL.Path, "/tags/list") {
		return false
	}
	i := int(p.requests.Add(1)) - 1
	if p.page != nil {
		if status, body := p.page(i); status != 0 {
			w.WriteHeader(status)
			fmt.Fprint(w, body)
			return true
		}
	}
	q := r.URL.Query()
	n := len(p.all)
	if p.mode != "ignore n" && !(p.mode == "whole list after the first page" && i > 0) {
		fmt.Sscan(q.Get("n"), &n)
	}
	start := 0
	if last := q.Get("last"); last != "" && p.mode != "whole list after the first page" {
		for start < len(p.all) && p.all[start] < last {
			start++
		}
		if p.mode != "inclusive last" && start < len(p.all) && p.all[start] == last {
			start++
		}
	}
	if p.mode == "ignore last at the end" && start == len(p.all) {
		start = 0 // as go-containerregistry's registry does
	}
	end := min(start+n, len(p.all))
	page := p.all[start:end]
	if p.link && end < len(p.all) {
		w.Header().Set("Link", fmt.Sprintf(`<%s?n=%d&last=%s>; rel="next"`, r.URL.Path, n, page[len(page)-1]))
	}
	quoted := make([]string, len(page))
	for i, tag := range page {
		quoted[i] = `"` + tag + `"`
	}
	fmt.Fprintf(w, `{"name":"x","tags":[%s]}`, strings.Join(quoted, ","))
	return true
}

func TestTagListingPagination(t *testing.T) {
	seven := []string{"a", "b", "c", "d", "e", "f", "g"}
	tests := []struct {
		name         string
		pages        *pagedTags
		size         int
		wantRequests int32
	}{
		{"Link headers", &pagedTags{all: seven, link: true}, 3, 3},
		{"last= without Link headers", &pagedTags{all: seven}, 3, 3},
		{"last= with an exact multiple of n", &pagedTags{all: seven[:6]}, 3, 3},
		{"registry ignores n", &pagedTags{all: seven, mode: "ignore n"}, 3, 1},
		{"registry answers later pages with the whole list", &pagedTags{all: seven, mode: "whole list after the first page"}, 3, 3},
		{"registry repeats last in the next page", &pagedTags{all: seven, mode: "inclusive last"}, 3, 4},
		{"registry answers last= past the end with the first page", &pagedTags{all: seven[:6], mode: "ignore last at the end"}, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestRegistry(t)
			reg.setFault(tt.pages.handle)
			got, err := newTestClient(t, WithPageSize(tt.size)).NewCycle().Tags(context.Background(), reg.repo("x"), nil)
			if n := tt.pages.requests.Load(); n != tt.wantRequests {
				t.Errorf("%d tag requests, want %d", n, tt.wantRequests)
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tt.pages.all, ",") {
				t.Errorf("tags %v, want %v", got, tt.pages.all)
			}
		})
	}
}

// Any page failing fails the listing: never a partial list, and not kept
// as a good answer for the next cycle.
func TestTagListingPartialFailureIsAnError(t *testing.T) {
	seven := []string{"a", "b", "c", "d", "e", "f", "g"}
	tests := []struct {
		name string
		page func(i int) (int, string)
		want error
	}{
		{"second page 500 after retries", func(i int) (int, string) {
			if i >= 1 {
				return 500, "down"
			}
			return 0, ""
		}, ErrTransport},
		{"second page truncated", func(i int) (int, string) {
			if i == 1 {
				return 200, `{"name":"x","tags":["d","e"`
			}
			return 0, ""
		}, ErrTransport},
		{"second page without a name", func(i int) (int, string) {
			if i == 1 {
				return 200, `{"tags":["d","e","f"]}`
			}
			return 0, ""
		}, ErrTransport},
		{"third page refused", func(i int) (int, string) {
			if i == 2 {
				return 401, `{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}`
			}
			return 0, ""
		}, ErrUnauthorized},
		{"second page not found", func(i int) (int, string) {
			if i == 1 {
				return 404, `{"errors":[{"code":"NAME_UNKNOWN","message":"gone"}]}`
			}
			return 0, ""
		}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestRegistry(t)
			pages := &pagedTags{all: seven, link: true, page: tt.page}
			reg.setFault(pages.handle)
			c := newTestClient(t, WithPageSize(3))
			cy := c.NewCycle()
			got, err := cy.Tags(context.Background(), reg.repo("x"), nil)
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("got %v, %v; want no tags and %v", got, err, tt.want)
			}
			l, err := cy.Listing(context.Background(), reg.repo("x"), nil)
			if err == nil || l.Tags != nil {
				t.Fatalf("the failed listing was replaced within the cycle: %v, %v", l, err)
			}
			pages.page = nil // the registry recovers: the next cycle lists again
			if got, err := c.NewCycle().Tags(context.Background(), reg.repo("x"), nil); err != nil || len(got) != 7 {
				t.Fatalf("next cycle: %v, %v", got, err)
			}
		})
	}
}

func TestTagListingSplitsInvalidNames(t *testing.T) {
	reg := newTestRegistry(t)
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/tags/list") {
			return false
		}
		fmt.Fprint(w, `{"name":"x","tags":["1.0","../../etc","1.1",".hidden","has space","`+strings.Repeat("x", 129)+`"]}`)
		return true
	})
	l, err := newTestClient(t).NewCycle().Listing(context.Background(), reg.repo("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(l.Tags, ",") != "1.0,1.1" {
		t.Errorf("valid tags %v", l.Tags)
	}
	if len(l.Invalid) != 4 || l.Invalid[0] != "../../etc" || l.Invalid[2] != "has space" {
		t.Errorf("invalid names %q", l.Invalid)
	}
}

func TestQuoteShort(t *testing.T) {
	if got := quoteShort("a\x1b[31mb"); got != `"a\x1b[31mb"` {
		t.Errorf("control characters not escaped: %s", got)
	}
	if got := quoteShort(strings.Repeat("é", 100)); len(got) > 80*4+2 || !strings.HasPrefix(got, `"\u00e9`) {
		t.Errorf("long name not cut to ASCII: %s", got)
	}
}

// Credential identities are separate listings; the same identity is
// one listing however the authenticator is built.
func TestListingPerCredentialIdentity(t *testing.T) {
	reg := newTestRegistry(t)
	pages := &pagedTags{all: []string{"a"}}
	reg.setFault(pages.handle)
	cy := newTestClient(t).NewCycle()
	repo := reg.repo("x")
	for _, auth := range []authn.Authenticator{
		nil, authn.Anonymous, authn.FromConfig(authn.AuthConfig{}),
		&authn.Basic{Username: "u", Password: "p"}, authn.FromConfig(authn.AuthConfig{Username: "u", Password: "p"}),
		&authn.Basic{Username: "u", Password: "other"},
	} {
		if _, err := cy.Tags(context.Background(), repo, auth); err != nil {
			t.Fatal(err)
		}
	}
	if n := pages.requests.Load(); n != 3 {
		t.Errorf("%d listings, want 3 (anonymous, u:p, u:other)", n)
	}
}

// A listing that pages past the operation timeout fails with ErrTimeout
// and the registry is not asked again in the cycle.
func TestTagListingOperationTimeout(t *testing.T) {
	reg := newTestRegistry(t)
	pages := &pagedTags{all: []string{"a", "b", "c", "d", "e"}, link: true}
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			time.Sleep(80 * time.Millisecond)
		}
		return pages.handle(w, r)
	})
	c := newTestClient(t, WithPageSize(1), WithTimeouts(time.Second, time.Second, 200*time.Millisecond))
	cy := c.NewCycle()
	start := time.Now()
	_, err := cy.Tags(context.Background(), reg.repo("x"), nil)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "200ms") {
		t.Fatalf("err = %v, want ErrTimeout naming the bound", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s, want about the 200ms bound", d)
	}
	asked := pages.requests.Load()
	_, err = cy.Metadata(reg.repo("y"), nil).Digest(context.Background(), "1")
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out earlier") {
		t.Fatalf("same registry later in the cycle: %v, want ErrTimeout at once", err)
	}
	if reg.take()["HEAD manifest"] != 0 || pages.requests.Load() != asked {
		t.Error("a registry that timed out was asked again in the cycle")
	}
	// A new cycle asks again.
	reg.setFault(pages.handle)
	pages.requests.Store(0)
	if _, err := c.NewCycle().Tags(context.Background(), reg.repo("x"), nil); err != nil {
		t.Fatalf("next cycle: %v", err)
	}
}

// The caller's own deadline is not the registry's fault: it is not
// remembered, and the error stays a context error.
func TestCallerDeadlineIsNotARegistryTimeout(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "x", testImage(t, time.Now(), v1.Platform{}), "1")
	var slow atomic.Bool
	slow.Store(true)
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if slow.Load() && strings.HasSuffix(r.URL.Path, "/tags/list") {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return true
		}
		return false
	})
	cy := newTestClient(t).NewCycle()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := cy.Tags(ctx, reg.repo("x"), nil)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want the caller's deadline, not ErrTimeout", err)
	}
	slow.Store(false)
	if _, err := cy.Tags(context.Background(), reg.repo("x"), nil); err != nil {
		t.Fatalf("the registry was marked down by a caller's deadline: %v", err)
	}
}
