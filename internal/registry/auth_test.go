package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// tokenServer issues bearer tokens to user:pass at /token and accepts only
// the newest one; revoke makes the current token stale, as its expiry does.
type tokenServer struct {
	reg        *testRegistry
	generation atomic.Int32
	issued     atomic.Int32
	down       atomic.Bool // the token endpoint fails
	mu         sync.Mutex
	scopes     []string
}

func newTokenServer(t *testing.T, reg *testRegistry) *tokenServer {
	ts := &tokenServer{reg: reg}
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/token" {
			if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" || ts.down.Load() {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`)
				return true
			}
			ts.issued.Add(1)
			ts.mu.Lock()
			ts.scopes = append(ts.scopes, r.URL.Query().Get("scope"))
			ts.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"token": ts.token(), "expires_in": 60})
			return true
		}
		if r.Header.Get("Authorization") != "Bearer "+ts.token() {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+reg.srv.URL+`/token",service="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}`)
			return true
		}
		return false
	})
	return ts
}

func (ts *tokenServer) token() string { return fmt.Sprintf("tok-%d", ts.generation.Load()) }
func (ts *tokenServer) revoke()       { ts.generation.Add(1) }

func TestBearerTokenReusedUntilRefusedThenRenewed(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "team/app", testImage(t, time.Now(), v1.Platform{}), "1", "2")
	ts := newTokenServer(t, reg)
	c := newTestClient(t)
	auth := &authn.Basic{Username: "user", Password: "pass"}
	repo := reg.repo("team/app")
	ask := func() {
		t.Helper()
		cy := c.NewCycle()
		if tags, err := cy.Tags(context.Background(), repo, auth); err != nil || len(tags) != 2 {
			t.Fatalf("tags %v, %v", tags, err)
		}
		if _, err := cy.Metadata(repo, auth).Digest(context.Background(), "1"); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		ask()
	}
	if n := ts.issued.Load(); n != 1 {
		t.Fatalf("%d tokens for three cycles, want 1 reused", n)
	}
	ts.mu.Lock()
	scope := ts.scopes[0]
	ts.mu.Unlock()
	if scope != "repository:team/app:pull" {
		t.Errorf("token scope %q, want pull on the repository only", scope)
	}
	ts.revoke() // the token expired
	ask()
	if n := ts.issued.Load(); n != 2 {
		t.Fatalf("%d tokens after the first expired, want 2 (renewed once)", n)
	}
	ask()
	if n := ts.issued.Load(); n != 2 {
		t.Fatalf("%d tokens, want the renewed one reused", n)
	}
}

// A failed login is not remembered: the next cycle logs in again, and wrong
// credentials are ErrUnauthorized without exposing the password.
func TestFailedLoginIsRetriedNextTime(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "team/app", testImage(t, time.Now(), v1.Platform{}), "1")
	ts := newTokenServer(t, reg)
	c := newTestClient(t)
	repo := reg.repo("team/app")

	_, err := c.NewCycle().Tags(context.Background(), repo, &authn.Basic{Username: "user", Password: "wrong-secret"})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong password: %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error shows the password: %v", err)
	}

	ts.down.Store(true)
	good := &authn.Basic{Username: "user", Password: "pass"}
	if _, err := c.NewCycle().Tags(context.Background(), repo, good); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("token endpoint down: %v", err)
	}
	ts.down.Store(false)
	if tags, err := c.NewCycle().Tags(context.Background(), repo, good); err != nil || len(tags) != 1 {
		t.Fatalf("after the token endpoint recovered: %v, %v", tags, err)
	}
}

// Credentials that cannot be resolved fail before any request.
func TestUnresolvableCredentials(t *testing.T) {
	reg := newTestRegistry(t)
	c := newTestClient(t)
	_, err := c.NewCycle().Tags(context.Background(), reg.repo("x"), failingAuth{})
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "resolve credentials") {
		t.Fatalf("err = %v", err)
	}
	if n := len(reg.take()); n != 0 {
		t.Errorf("%d kinds of requests sent with unresolvable credentials", n)
	}
}

type failingAuth struct{}

func (failingAuth) Authorization() (*authn.AuthConfig, error) {
	return nil, errors.New("helper crashed")
}

func TestCredentialIdentity(t *testing.T) {
	id := func(a authn.Authenticator) string {
		t.Helper()
		s, err := credentialIdentity(a)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		a, b authn.Authenticator
		same bool
	}{
		{"anonymous and empty config", authn.Anonymous, authn.FromConfig(authn.AuthConfig{}), true},
		{"basic and the same config", &authn.Basic{Username: "u", Password: "p"}, authn.FromConfig(authn.AuthConfig{Username: "u", Password: "p"}), true},
		{"password differs", &authn.Basic{Username: "u", Password: "p"}, &authn.Basic{Username: "u", Password: "q"}, false},
		{"fields do not run together", authn.FromConfig(authn.AuthConfig{Username: "ab", Password: "c"}), authn.FromConfig(authn.AuthConfig{Username: "a", Password: "bc"}), false},
		{"identity token", authn.FromConfig(authn.AuthConfig{IdentityToken: "t1"}), authn.FromConfig(authn.AuthConfig{IdentityToken: "t2"}), false},
		{"registry token", authn.FromConfig(authn.AuthConfig{RegistryToken: "t1"}), authn.FromConfig(authn.AuthConfig{Auth: "t1"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := id(tt.a), id(tt.b)
			if (a == b) != tt.same {
				t.Errorf("identities %q and %q, want same %v", a, b, tt.same)
			}
			for _, s := range []string{a, b} {
				if s != "anonymous" && len(s) != 16 {
					t.Errorf("identity %q is not a short hash", s)
				}
			}
		})
	}
}
