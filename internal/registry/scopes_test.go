package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// scopedTokens makes a testRegistry a token-auth registry whose tokens
// grant exactly the scopes they were issued for: all requested ones, or
// (firstOnly) only the first, as some token servers do.
type scopedTokens struct {
	reg       *testRegistry
	firstOnly bool
	mu        sync.Mutex
	requests  [][]string // scopes asked for, per token request
}

func newScopedTokens(t *testing.T, reg *testRegistry, firstOnly bool) *scopedTokens {
	t.Helper()
	s := &scopedTokens{reg: reg, firstOnly: firstOnly}
	reg.setFault(s.serve)
	return s
}

func (s *scopedTokens) serve(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path == "/token" {
		var scopes []string
		for _, sc := range r.URL.Query()["scope"] {
			scopes = append(scopes, strings.Fields(sc)...)
		}
		s.mu.Lock()
		s.requests = append(s.requests, scopes)
		s.mu.Unlock()
		granted := scopes
		if s.firstOnly && len(granted) > 1 {
			granted = granted[:1]
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": base64.RawURLEncoding.EncodeToString([]byte(strings.Join(granted, " "))), "expires_in": 3600})
		return true
	}
	repo, ok := repoOfPath(r.URL.Path)
	want := "repository:" + repo + ":pull"
	tok, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if slices.Contains(strings.Fields(string(tok)), want) || (!ok && len(tok) > 0) {
		return false // the registry answers
	}
	challenge := `Bearer realm="` + s.reg.srv.URL + `/token",service="test"`
	if ok {
		challenge += `,scope="` + want + `",error="insufficient_scope"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.WriteHeader(http.StatusUnauthorized)
	return true
}

func (s *scopedTokens) tokenRequests() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// repoOfPath returns the repository of a /v2/<repo>/(tags|manifests|blobs)/ path.
func repoOfPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", false
	}
	for _, kind := range []string{"/tags/", "/manifests/", "/blobs/"} {
		if i := strings.LastIndex(rest, kind); i > 0 {
			return rest[:i], true
		}
	}
	return "", false
}

// scopeFixture pushes n repositories team/app<i> with tags 1 and 2.
func scopeFixture(t *testing.T, n int) (*testRegistry, []Expected) {
	t.Helper()
	reg := newTestRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{})
	var repos []Expected
	for i := range n {
		path := fmt.Sprintf("team/app%03d", i)
		reg.push(t, path, img, "1", "2")
		repos = append(repos, Expected{Repo: reg.repo(path), Auth: authn.Anonymous})
	}
	reg.take()
	return reg, repos
}

func listAll(t *testing.T, cy *Cycle, repos []Expected) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(repos))
	for i, e := range repos {
		wg.Go(func() {
			tags, err := cy.Tags(context.Background(), e.Repo, e.Auth)
			if err == nil && !slices.Equal(tags, []string{"1", "2"}) {
				err = fmt.Errorf("tags %v", tags)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestExpectSharesOneTokenPerRegistry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		repos  int
		expect bool
		want   map[string]int
		tokens int // scopes per token request, in order
	}{
		{name: "announced: one token for all", repos: 30, expect: true,
			want: map[string]int{"GET ping": 1, "GET token": 1, "GET tags": 30}},
		{name: "not announced: one token each", repos: 30, expect: false,
			want: map[string]int{"GET ping": 1, "GET token": 30, "GET tags": 30}},
		{name: "announced beyond one token's scopes", repos: maxScopesPerToken + 5, expect: true,
			want: map[string]int{"GET ping": 1, "GET token": 2, "GET tags": maxScopesPerToken + 5}},
		{name: "a single repository", repos: 1, expect: true,
			want: map[string]int{"GET ping": 1, "GET token": 1, "GET tags": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, repos := scopeFixture(t, tc.repos)
			tokens := newScopedTokens(t, reg, false)
			c := newTestClient(t)
			cy := c.NewCycle()
			if tc.expect {
				cy.Expect(append(repos, repos[0])) // a repeat is harmless
			}
			listAll(t, cy, repos)
			assertCounts(t, reg.take(), tc.want)
			// The next cycle reuses the tokens: listings only.
			cy = c.NewCycle()
			if tc.expect {
				cy.Expect(repos)
			}
			listAll(t, cy, repos)
			assertCounts(t, reg.take(), map[string]int{"GET tags": tc.repos})
			if tc.expect {
				for _, scopes := range tokens.tokenRequests() {
					if len(scopes) > maxScopesPerToken {
						t.Errorf("a token request named %d scopes, want at most %d", len(scopes), maxScopesPerToken)
					}
				}
			}
		})
	}
}

func TestExpectFallsBackWhenTheTokenServerGrantsOneScope(t *testing.T) {
	reg, repos := scopeFixture(t, 5)
	newScopedTokens(t, reg, true)
	c := newTestClient(t)
	cy := c.NewCycle()
	cy.Expect(repos)
	for _, e := range repos { // in order, for exact counts
		if _, err := cy.Tags(context.Background(), e.Repo, e.Auth); err != nil {
			t.Fatal(err)
		}
	}
	counts := reg.take()
	// The shared token covers the first repository. The second is refused
	// (go-containerregistry refreshes the token once and is refused
	// again), then gets its own token and is listed; from then on the
	// registry is known to refuse, and the other three get their own
	// tokens before they list.
	if counts["GET token"] != 6 || counts["GET tags"] != 7 || counts["GET ping"] != 1 {
		t.Fatalf("first cycle %v, want 6 tokens (shared, refresh, 4 own), 7 listings (5 + 2 refused), 1 ping", counts)
	}
	for _, e := range repos {
		if _, err := cy.Metadata(e.Repo, e.Auth).Digest(context.Background(), "1"); err != nil {
			t.Fatalf("digest of %s after the fallback: %v", e.Repo, err)
		}
	}
	reg.take()
	// Detected: later cycles do not announce groups for this registry.
	// The first repository still held the shared token and moves to a
	// token of its own, once; then listings only.
	for want, cycleCounts := range []map[string]int{{"GET token": 1, "GET tags": 5}, {"GET tags": 5}} {
		cy = c.NewCycle()
		cy.Expect(repos)
		listAll(t, cy, repos)
		if got := reg.take(); !maps.Equal(got, cycleCounts) {
			t.Fatalf("cycle %d after the fallback: %v, want %v", want+2, got, cycleCounts)
		}
	}
	if !c.refusesGroups(mustResolve(t, c, repos[0]).groupKey) {
		t.Error("the registry is not recorded as refusing shared tokens")
	}
	// A repository seen for the first time gets its own token, no group.
	more := reg.repo("team/late")
	reg.push(t, "team/late", testImage(t, time.Now(), v1.Platform{}), "1", "2")
	reg.take()
	cy = c.NewCycle()
	cy.Expect(append(repos, Expected{Repo: more, Auth: authn.Anonymous}))
	listAll(t, cy, []Expected{{Repo: more, Auth: authn.Anonymous}})
	assertCounts(t, reg.take(), map[string]int{"GET token": 1, "GET tags": 1})
}

func TestExpectGroupsByCredentialIdentity(t *testing.T) {
	reg, repos := scopeFixture(t, 4)
	tokens := newScopedTokens(t, reg, false)
	alice := authn.FromConfig(authn.AuthConfig{Username: "alice", Password: "a-secret"})
	// Two repositories with alice's credentials, two anonymous: two tokens,
	// never one mixing identities.
	repos[0].Auth, repos[1].Auth = alice, alice
	c := newTestClient(t)
	cy := c.NewCycle()
	cy.Expect(repos)
	listAll(t, cy, repos)
	counts := reg.take()
	if counts["GET token"] != 2 {
		t.Fatalf("%d token requests for two identities, want 2 (%v)", counts["GET token"], counts)
	}
	for _, scopes := range tokens.tokenRequests() {
		if len(scopes) != 2 {
			t.Errorf("token request for %v, want the two repositories of one identity", scopes)
		}
	}
}

func TestExpectExpiredSharedTokenIsRefreshedOnce(t *testing.T) {
	reg, repos := scopeFixture(t, 6)
	tokens := newScopedTokens(t, reg, false)
	c := newTestClient(t)
	cy := c.NewCycle()
	cy.Expect(repos)
	listAll(t, cy, repos)
	reg.take()
	// The registry stops accepting the issued token (it expired): the
	// shared transport asks for a new one with every scope.
	tokens.reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/token" && strings.Contains(r.Header.Get("Authorization"), "Bearer ") && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer fresh-") {
			repo, _ := repoOfPath(r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+reg.srv.URL+`/token",service="test",scope="repository:`+repo+`:pull"`)
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"token": "fresh-" + fmt.Sprint(len(r.URL.Query()["scope"])), "expires_in": 3600})
			return true
		}
		return false
	})
	cy = c.NewCycle()
	cy.Expect(repos)
	for _, e := range repos { // one after the other: one refresh, then the fresh token
		if _, err := cy.Tags(context.Background(), e.Repo, e.Auth); err != nil {
			t.Fatal(err)
		}
	}
	counts := reg.take()
	if counts["GET token"] != 1 || counts["GET tags"] != 7 {
		t.Fatalf("after expiry %v, want 1 token and 7 listings (one refused, retried)", counts)
	}
}

func mustResolve(t *testing.T, c *Client, e Expected) resolved {
	t.Helper()
	r, err := c.resolve(e.Repo, e.Auth)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
