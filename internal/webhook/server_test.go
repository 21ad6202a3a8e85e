package webhook

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testSecret = "hunter2-correct-horse"

// recordingSink stores calls and signals each one.
type recordingSink struct {
	mu     sync.Mutex
	events []Event
	called chan Event
}

func newRecordingSink() *recordingSink { return &recordingSink{called: make(chan Event, 1000)} }

func (s *recordingSink) Handle(_ context.Context, ev Event) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	s.called <- ev
}

func (s *recordingSink) calls() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// wait returns the next sink call or fails after a generous timeout.
func (s *recordingSink) wait(t *testing.T) Event {
	t.Helper()
	select {
	case ev := <-s.called:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("sink was not called")
		return Event{}
	}
}

func allSecrets() map[string]string {
	secrets := map[string]string{}
	for _, typ := range DefaultParserSet().Types() {
		secrets[typ] = testSecret
	}
	return secrets
}

func newTestServer(t *testing.T, cfg Config, sink Sink) *Server {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = newFakeClock()
	}
	s, err := NewServer(cfg, sink)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return s
}

// startServer runs Start until the test ends and returns a stop function
// that waits for it.
func startServer(t *testing.T, s *Server) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Start(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("Start did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func post(s http.Handler, target string, body []byte, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.10:40000"
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestServerAuthentication(t *testing.T) {
	ghcr := readSample(t, "ghcr.io.json")
	tests := []struct {
		name   string
		typ    string
		sample string
		target string
		header map[string]string
		want   int
	}{
		{"docker.io query good", "docker.io", "docker.io.json", "?secret=" + testSecret, nil, http.StatusAccepted},
		{"docker.io query bad", "docker.io", "docker.io.json", "?secret=wrong", nil, http.StatusUnauthorized},
		{"docker.io missing", "docker.io", "docker.io.json", "", nil, http.StatusUnauthorized},
		{"quay.io query good", "quay.io", "quay.io.json", "?secret=" + testSecret, nil, http.StatusAccepted},
		{"aliyun query good", "aliyun-acr", "aliyun-acr.json", "?secret=" + testSecret, nil, http.StatusAccepted},
		{"aliyun header is not accepted", "aliyun-acr", "aliyun-acr.json", "", map[string]string{"X-Webhook-Secret": testSecret}, http.StatusUnauthorized},
		{"cloudevents header good", "cloudevents", "cloudevents-ecr.json", "", map[string]string{"X-Webhook-Secret": testSecret}, http.StatusAccepted},
		{"cloudevents query good", "cloudevents", "cloudevents-generic.json", "?secret=" + testSecret, nil, http.StatusAccepted},
		{"cloudevents header bad", "cloudevents", "cloudevents-ecr.json", "", map[string]string{"X-Webhook-Secret": "x"}, http.StatusUnauthorized},
		{"ghcr signature good", "ghcr.io", "ghcr.io.json", "", map[string]string{"X-Hub-Signature-256": sign(testSecret, ghcr), "X-GitHub-Event": "package"}, http.StatusAccepted},
		{"ghcr signature with other key", "ghcr.io", "ghcr.io.json", "", map[string]string{"X-Hub-Signature-256": sign("other", ghcr)}, http.StatusUnauthorized},
		{"ghcr signature missing", "ghcr.io", "ghcr.io.json", "", nil, http.StatusUnauthorized},
		{"ghcr query secret is not enough", "ghcr.io", "ghcr.io.json", "?secret=" + testSecret, nil, http.StatusUnauthorized},
		{"harbor authorization good", "harbor", "harbor.json", "", map[string]string{"Authorization": testSecret}, http.StatusAccepted},
		{"harbor authorization bad", "harbor", "harbor.json", "", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"harbor authorization missing", "harbor", "harbor.json", "", nil, http.StatusUnauthorized},
		{"acr bearer good", "acr", "acr.json", "", map[string]string{"Authorization": "Bearer " + testSecret}, http.StatusAccepted},
		{"acr missing", "acr", "acr.json", "", nil, http.StatusUnauthorized},
		{"distribution bearer good", "distribution", "distribution.json", "", map[string]string{"Authorization": "Bearer " + testSecret, "Content-Type": DistributionEventsMediaType}, http.StatusAccepted},
		{"distribution bad", "distribution", "distribution.json", "", map[string]string{"Authorization": "Bearer x"}, http.StatusUnauthorized},
		{"gitlab token good", "gitlab", "gitlab.json", "", map[string]string{"X-Gitlab-Token": testSecret}, http.StatusAccepted},
		{"gitlab token bad", "gitlab", "gitlab.json", "", map[string]string{"X-Gitlab-Token": testSecret + "x"}, http.StatusUnauthorized},
		{"gitlab token missing", "gitlab", "gitlab.json", "", nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
			target := "/webhook?type=" + tt.typ + strings.Replace(tt.target, "?", "&", 1)
			w := post(s, target, readSample(t, tt.sample), tt.header)
			if w.Code != tt.want {
				t.Fatalf("status = %d (%q), want %d", w.Code, w.Body.String(), tt.want)
			}
			if w.Code == http.StatusUnauthorized && strings.TrimSpace(w.Body.String()) != "unauthorized" {
				t.Errorf("401 body = %q, want only \"unauthorized\"", w.Body.String())
			}
		})
	}
}

func TestServerRequiresSecretByDefault(t *testing.T) {
	body := readSample(t, "harbor.json")
	s := newTestServer(t, Config{Secrets: map[string]string{"docker.io": testSecret}}, newRecordingSink())
	if w := post(s, "/webhook?type=harbor", body, map[string]string{"Authorization": ""}); w.Code != http.StatusUnauthorized {
		t.Fatalf("type without secret: status = %d, want 401", w.Code)
	}
	open := newTestServer(t, Config{AllowUnauthenticated: true, Secrets: map[string]string{"docker.io": testSecret}}, newRecordingSink())
	if w := post(open, "/webhook?type=harbor", body, nil); w.Code != http.StatusAccepted {
		t.Fatalf("allowed unauthenticated: status = %d, want 202", w.Code)
	}
	if w := post(open, "/webhook?type=docker.io", readSample(t, "docker.io.json"), nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("configured secret still checked: status = %d, want 401", w.Code)
	}
}

func TestServerReplays(t *testing.T) {
	ghcr := readSample(t, "ghcr.io.json")
	tests := []struct {
		name   string
		typ    string
		body   []byte
		header map[string]string
	}{
		{"github delivery id", "ghcr.io", ghcr, map[string]string{"X-Hub-Signature-256": sign(testSecret, ghcr), "X-GitHub-Delivery": "d-1"}},
		{"cloudevents id", "cloudevents", readSample(t, "cloudevents-ecr.json"), map[string]string{"X-Webhook-Secret": testSecret}},
		{"distribution event ids", "distribution", readSample(t, "distribution.json"), map[string]string{"Authorization": "Bearer " + testSecret}},
		{"gitlab event ids", "gitlab", readSample(t, "gitlab.json"), map[string]string{"X-Gitlab-Token": testSecret}},
		{"acr id", "acr", readSample(t, "acr.json"), map[string]string{"Authorization": testSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
			if w := post(s, "/webhook?type="+tt.typ, tt.body, tt.header); w.Code != http.StatusAccepted {
				t.Fatalf("first delivery: status = %d (%q)", w.Code, w.Body.String())
			}
			w := post(s, "/webhook?type="+tt.typ, tt.body, tt.header)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "duplicate") {
				t.Fatalf("replay: status = %d (%q), want 200 duplicate", w.Code, w.Body.String())
			}
		})
	}
}

func TestServerReplayedSignatureWithNewDeliveryIDIsAccepted(t *testing.T) {
	// Without a timestamp in the payload, a new delivery id means a new
	// delivery (GitHub's "redeliver" button sends the same body with a new id).
	body := readSample(t, "ghcr.io.json")
	s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
	for i, id := range []string{"d-1", "d-2"} {
		w := post(s, "/webhook?type=ghcr.io", body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body), "X-GitHub-Delivery": id})
		if w.Code != http.StatusAccepted {
			t.Fatalf("delivery %d: status = %d", i, w.Code)
		}
	}
}

func TestServerRequestErrors(t *testing.T) {
	auth := map[string]string{"Authorization": testSecret}
	huge := append([]byte(`{"type":"PUSH_ARTIFACT","pad":"`), bytes.Repeat([]byte("x"), DefaultMaxBodyBytes)...)
	huge = append(huge, `"}`...)
	fits := append(bytes.Repeat([]byte(" "), DefaultMaxBodyBytes-len(readSample(t, "harbor.json"))), readSample(t, "harbor.json")...)
	tests := []struct {
		name   string
		method string
		target string
		body   []byte
		header map[string]string
		want   int
	}{
		{"body over 1 MiB", http.MethodPost, "/webhook?type=harbor", huge, auth, http.StatusRequestEntityTooLarge},
		{"body of exactly 1 MiB", http.MethodPost, "/webhook?type=harbor", fits, auth, http.StatusAccepted},
		{"malformed JSON", http.MethodPost, "/webhook?type=harbor", []byte(`{"type": PUSH_ARTIFACT-SECRETVALUE`), auth, http.StatusBadRequest},
		{"valid JSON, no repository", http.MethodPost, "/webhook?type=harbor", []byte(`{"type":"PUSH_ARTIFACT"}`), auth, http.StatusBadRequest},
		{"unknown type", http.MethodPost, "/webhook?type=nexus", []byte(`{}`), auth, http.StatusBadRequest},
		{"no type", http.MethodPost, "/webhook", []byte(`{}`), auth, http.StatusBadRequest},
		{"type from header", http.MethodPost, "/webhook", readSample(t, "harbor.json"), map[string]string{"X-Registry-Type": "harbor", "Authorization": testSecret}, http.StatusAccepted},
		{"GET webhook", http.MethodGet, "/webhook?type=harbor", nil, nil, http.StatusMethodNotAllowed},
		{"PUT webhook", http.MethodPut, "/webhook?type=harbor", nil, nil, http.StatusMethodNotAllowed},
		{"healthz", http.MethodGet, "/healthz", nil, nil, http.StatusOK},
		{"POST healthz", http.MethodPost, "/healthz", nil, nil, http.StatusMethodNotAllowed},
		{"unknown path", http.MethodGet, "/metrics", nil, nil, http.StatusNotFound},
		{"non-push event answered 200", http.MethodPost, "/webhook?type=harbor", []byte(`{"type":"DELETE_ARTIFACT","event_data":{}}`), auth, http.StatusOK},
		{"distribution unsupported media type", http.MethodPost, "/webhook?type=distribution", []byte(`{"events":[]}`), map[string]string{"Authorization": testSecret, "Content-Type": "application/xml"}, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
			r := httptest.NewRequest(tt.method, tt.target, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d (%q), want %d", w.Code, w.Body.String(), tt.want)
			}
			if strings.Contains(w.Body.String(), "SECRETVALUE") || w.Body.Len() > 64 {
				t.Errorf("response body %q echoes the request or is too long", w.Body.String())
			}
		})
	}
}

func TestServerRateLimitPerClient(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, Config{Secrets: allSecrets(), RequestsPerSecond: 1, RateBurst: 3, Clock: clock}, newRecordingSink())
	body := readSample(t, "docker.io.json")
	send := func(ip string) int {
		r := httptest.NewRequest(http.MethodPost, "/webhook?type=docker.io&secret="+testSecret, bytes.NewReader(body))
		r.RemoteAddr = ip + ":5555"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 3 {
		if got := send("198.51.100.7"); got != http.StatusAccepted {
			t.Fatalf("request %d within burst: status = %d", i, got)
		}
	}
	if got := send("198.51.100.7"); got != http.StatusTooManyRequests {
		t.Fatalf("request beyond burst: status = %d, want 429", got)
	}
	if got := send("198.51.100.8"); got != http.StatusAccepted {
		t.Fatalf("other client: status = %d, want 202", got)
	}
	clock.Advance(time.Second)
	if got := send("198.51.100.7"); got != http.StatusAccepted {
		t.Fatalf("after refill: status = %d, want 202", got)
	}
}

func TestServerDebounceCollapsesFlood(t *testing.T) {
	clock := newFakeClock()
	sink := newRecordingSink()
	s := newTestServer(t, Config{Secrets: allSecrets(), RequestsPerSecond: -1, Clock: clock}, sink)
	stop := startServer(t, s)
	for i := range 100 {
		body := []byte(`{"push_data":{"tag":"build-` + string(rune('a'+i%26)) + `"},"repository":{"repo_name":"acme/api"}}`)
		if w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil); w.Code != http.StatusAccepted {
			t.Fatalf("event %d: status = %d", i, w.Code)
		}
	}
	other := []byte(`{"push_data":{"tag":"1"},"repository":{"repo_name":"acme/web"}}`)
	post(s, "/webhook?type=docker.io&secret="+testSecret, other, nil)
	if got := s.debounce.pending(); got != 2 {
		t.Fatalf("open windows = %d, want 2 (one per repository)", got)
	}
	clock.Advance(DefaultDebounceWindow)
	sink.wait(t)
	sink.wait(t)
	stop() // waits for every sink call
	calls := sink.calls()
	if len(calls) != 2 {
		t.Fatalf("sink calls = %d (%+v), want 2", len(calls), calls)
	}
	lastTag := "build-" + string(rune('a'+99%26))
	for _, ev := range calls {
		if ev.Repository == "acme/api" && ev.Tag != lastTag {
			t.Errorf("acme/api call carries tag %q, want the latest hint %q", ev.Tag, lastTag)
		}
	}
}

func TestServerAnswers503AfterStop(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
	stop := startServer(t, s)
	stop()
	w := post(s, "/webhook?type=docker.io&secret="+testSecret, readSample(t, "docker.io.json"), nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status after Start returned = %d, want 503", w.Code)
	}
}

func TestServerEventAfterWindowRunsAgain(t *testing.T) {
	clock := newFakeClock()
	sink := newRecordingSink()
	s := newTestServer(t, Config{Secrets: allSecrets(), Clock: clock, DebounceWindow: 200 * time.Millisecond}, sink)
	startServer(t, s)
	body := readSample(t, "quay.io.json")
	post(s, "/webhook?type=quay.io&secret="+testSecret, body, nil)
	clock.Advance(200 * time.Millisecond)
	first := sink.wait(t)
	post(s, "/webhook?type=quay.io&secret="+testSecret, body, nil)
	clock.Advance(200 * time.Millisecond)
	second := sink.wait(t)
	if first.Key() != "quay.io/streamworks/ingest-gateway" || first.Key() != second.Key() {
		t.Fatalf("calls = %+v, %+v", first, second)
	}
}

func TestDispatcherOneCallPerRepositoryAtATime(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	running, maxRunning, calls := 0, 0, 0
	sink := SinkFunc(func(context.Context, Event) {
		mu.Lock()
		running++
		calls++
		maxRunning = max(maxRunning, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	})
	d := newDispatcher(sink, slog.New(slog.DiscardHandler), 4, 100, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.run(ctx); close(done) }()
	ev := Event{Registry: "r.example", Repository: "a/b"}
	d.submit(ev)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls == 1 })
	d.submit(ev) // arrives while the first call runs: queued as follow-up
	d.submit(ev) // collapses with the follow-up
	waitFor(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return len(d.followUp) == 1 })
	release <- struct{}{}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls == 2 })
	release <- struct{}{}
	cancel()
	<-done
	if calls != 2 || maxRunning != 1 {
		t.Fatalf("calls = %d, max concurrent = %d; want 2 and 1", calls, maxRunning)
	}
}

// waitFor polls cond for up to 10 s (bounded loop, generous for a loaded host).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}

func TestServerHostMapping(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"payload host kept", Config{}, "127.0.0.1:5000"},
		{"alias", Config{HostAliases: map[string]string{"127.0.0.1:5000": "Registry.Example.com"}}, "registry.example.com"},
		{"override by type", Config{HostOverrides: map[string]string{"distribution": "registry.internal:443"}}, "registry.internal:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			sink := newRecordingSink()
			cfg := tt.cfg
			cfg.Secrets, cfg.Clock = allSecrets(), clock
			s := newTestServer(t, cfg, sink)
			startServer(t, s)
			w := post(s, "/webhook?type=distribution", readSample(t, "distribution.json"), map[string]string{"Authorization": testSecret})
			if w.Code != http.StatusAccepted {
				t.Fatalf("status = %d", w.Code)
			}
			clock.Advance(DefaultDebounceWindow)
			if ev := sink.wait(t); ev.Registry != tt.want {
				t.Fatalf("registry = %q, want %q", ev.Registry, tt.want)
			}
		})
	}
}

func TestServerLogsEventsButNotSecrets(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newTestServer(t, Config{Secrets: allSecrets(), Logger: logger}, newRecordingSink())
	post(s, "/webhook?type=docker.io&secret="+testSecret, readSample(t, "docker.io.json"), nil)
	post(s, "/webhook?type=docker.io&secret=wrong-"+testSecret, readSample(t, "docker.io.json"), nil)
	post(s, "/webhook?type=harbor", readSample(t, "harbor.json"), map[string]string{"Authorization": "Bearer " + testSecret})
	out := logs.String()
	if !strings.Contains(out, `"msg":"webhook event accepted"`) || !strings.Contains(out, `"repository":"acmecorp/checkout-api"`) {
		t.Errorf("accepted event not logged:\n%s", out)
	}
	if !strings.Contains(out, "unauthorized") {
		t.Errorf("auth failure not logged:\n%s", out)
	}
	if strings.Contains(out, testSecret) {
		t.Errorf("secret leaked into logs:\n%s", out)
	}
}

func TestNewServerValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		sink Sink
	}{
		{"nil sink", Config{}, nil},
		{"secret for unknown type", Config{Secrets: map[string]string{"dockerhub": "x"}}, newRecordingSink()},
		{"override for unknown type", Config{HostOverrides: map[string]string{"registry": "x"}}, newRecordingSink()},
		{"negative window", Config{DebounceWindow: -time.Second}, newRecordingSink()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewServer(tt.cfg, tt.sink); err == nil {
				t.Fatal("NewServer accepted an invalid config")
			}
		})
	}
}

func TestServerWithRealClockDeliversQuickly(t *testing.T) {
	sink := newRecordingSink()
	s, err := NewServer(Config{Secrets: allSecrets(), DebounceWindow: 20 * time.Millisecond}, sink)
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, s)
	post(s, "/webhook?type=acr", readSample(t, "acr.json"), map[string]string{"Authorization": testSecret})
	if ev := sink.wait(t); ev.Key() != "contosoapps.azurecr.io/frontend/storefront" {
		t.Fatalf("event = %+v", ev)
	}
}

func TestReplayCacheBoundsAndExpiry(t *testing.T) {
	now := time.Now()
	c := newReplayCache(2, time.Minute)
	for _, k := range []string{"a", "b", "c"} {
		if c.remember(k, now) {
			t.Fatalf("%s reported as replay on first sight", k)
		}
	}
	if c.remember("a", now) {
		t.Fatal("evicted id a still remembered (cache should hold 2)")
	}
	if !c.remember("c", now) {
		t.Fatal("recent id c not recognised")
	}
	if c.remember("c", now.Add(2*time.Minute)) {
		t.Fatal("expired id c still recognised")
	}
}

func TestIPLimiterStaysBounded(t *testing.T) {
	l := newIPLimiter(1, 1, 3)
	now := time.Now()
	for i := range 10 {
		l.allow(string(rune('a'+i)), now)
	}
	if len(l.buckets) > 3 {
		t.Fatalf("buckets = %d, want at most 3", len(l.buckets))
	}
}

func TestUnauthenticatedRequestsDoNotSpendSendersBudget(t *testing.T) {
	clock := newFakeClock()
	sink := newRecordingSink()
	s := newTestServer(t, Config{Secrets: allSecrets(), Clock: clock}, sink)
	body := readSample(t, "docker.io.json")
	var limited int
	for i := range 70 {
		w := post(s, "/webhook?type=docker.io&secret=wrong", body, nil)
		switch w.Code {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("unsigned request %d: status %d", i, w.Code)
		}
	}
	if limited != 70-DefaultFailedAuthBurst {
		t.Errorf("unsigned requests limited: %d, want %d (failed-auth burst %d)", limited, 70-DefaultFailedAuthBurst, DefaultFailedAuthBurst)
	}
	for _, target := range []string{"/webhook?type=nope", "/webhook"} {
		if w := post(s, target, body, nil); w.Code != http.StatusTooManyRequests {
			t.Errorf("%s after the failure budget: status %d, want 429", target, w.Code)
		}
	}
	if w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil); w.Code != http.StatusAccepted {
		t.Fatalf("signed request after 70 unsigned: status %d, want 202", w.Code)
	}
	// A flood of signed requests of one type does not stop another type.
	for range DefaultRateBurst {
		post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil)
	}
	if w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil); w.Code != http.StatusTooManyRequests {
		t.Fatalf("signed request beyond the burst: status %d, want 429", w.Code)
	}
	if w := post(s, "/webhook?type=quay.io&secret="+testSecret, readSample(t, "quay.io.json"), nil); w.Code != http.StatusAccepted {
		t.Fatalf("other type: status %d, want 202", w.Code)
	}
	clock.Advance(time.Second)
	if w := post(s, "/webhook?type=docker.io&secret=wrong", body, nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("after refill: status %d, want 401", w.Code)
	}
}

func TestStuckCheckDoesNotBlockOtherEvents(t *testing.T) {
	clock := newFakeClock()
	unblock := make(chan struct{})
	var mu sync.Mutex
	calls := map[string]int{}
	var stuckRunning, maxStuck int
	sink := SinkFunc(func(ctx context.Context, ev Event) {
		mu.Lock()
		calls[ev.Repository]++
		mu.Unlock()
		switch ev.Repository {
		case "acme/stuck": // ignores its context, like a read with no deadline
			mu.Lock()
			stuckRunning++
			maxStuck = max(maxStuck, stuckRunning)
			mu.Unlock()
			<-unblock
			mu.Lock()
			stuckRunning--
			mu.Unlock()
		case "acme/slow": // honours its context
			<-ctx.Done()
		}
	})
	s := newTestServer(t, Config{Secrets: allSecrets(), Clock: clock, MaxConcurrentCalls: 1, CallTimeout: 200 * time.Millisecond}, sink)
	startServer(t, s)
	t.Cleanup(func() { close(unblock) })
	send := func(repo string) {
		t.Helper()
		body := []byte(`{"push_data":{"tag":"1"},"repository":{"repo_name":"` + repo + `"}}`)
		if w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil); w.Code != http.StatusAccepted {
			t.Fatalf("%s: status %d", repo, w.Code)
		}
	}
	count := func(repo string) int { mu.Lock(); defer mu.Unlock(); return calls[repo] }
	send("acme/stuck")
	clock.Advance(DefaultDebounceWindow)
	waitFor(t, func() bool { return count("acme/stuck") == 1 })
	for _, repo := range []string{"acme/slow", "acme/web", "acme/api"} {
		send(repo)
	}
	send("acme/stuck") // must wait for the stuck call, never run beside it
	clock.Advance(DefaultDebounceWindow)
	for _, repo := range []string{"acme/slow", "acme/web", "acme/api"} {
		waitFor(t, func() bool { return count(repo) == 1 })
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	stuckCalls, most := calls["acme/stuck"], maxStuck
	mu.Unlock()
	if stuckCalls != 1 || most != 1 {
		t.Fatalf("stuck repository: %d calls, %d at once; want 1 and 1 while the first is stuck", stuckCalls, most)
	}
	unblock <- struct{}{} // the stuck call returns: its follow-up runs
	waitFor(t, func() bool { return count("acme/stuck") == 2 })
}
