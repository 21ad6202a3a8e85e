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

func TestConfigDefaults(t *testing.T) {
	c, err := Config{HostAliases: map[string]string{"HTTPS://Reg.Example:5000/x": "r"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"debounce window", c.DebounceWindow, DefaultDebounceWindow},
		{"body cap", c.MaxBodyBytes, int64(DefaultMaxBodyBytes)},
		{"requests per second", c.RequestsPerSecond, float64(DefaultRequestsPerSecond)},
		{"rate burst", c.RateBurst, DefaultRateBurst},
		{"failed auth per second", c.FailedAuthPerSecond, float64(DefaultFailedAuthPerSec)},
		{"failed auth burst", c.FailedAuthBurst, DefaultFailedAuthBurst},
		{"replay cache size", c.ReplayCacheSize, DefaultReplayCacheSize},
		{"replay ttl", c.ReplayTTL, DefaultReplayTTL},
		{"concurrent calls", c.MaxConcurrentCalls, DefaultMaxConcurrentCalls},
		{"queued repositories", c.MaxQueuedRepos, DefaultMaxQueuedRepos},
		{"call timeout", c.CallTimeout, DefaultCallTimeout},
		{"parsers", strings.Join(c.Parsers.Types(), ","), strings.Join(DefaultParserSet().Types(), ",")},
		{"alias keys normalised like payload hosts", c.HostAliases["reg.example:5000"], "r"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if c.Logger == nil || c.Clock == nil || c.ClientIP == nil {
		t.Error("logger, clock or client address function left nil")
	}
	kept, err := Config{DebounceWindow: time.Second, MaxBodyBytes: 10, RequestsPerSecond: -1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if kept.DebounceWindow != time.Second || kept.MaxBodyBytes != 10 || kept.RequestsPerSecond != -1 {
		t.Errorf("set values replaced by defaults: %+v", kept)
	}
}

func TestConfigRejectsNegativeLimits(t *testing.T) {
	for name, c := range map[string]Config{
		"body":         {MaxBodyBytes: -1},
		"burst":        {RateBurst: -1},
		"failed burst": {FailedAuthBurst: -1},
		"replay size":  {ReplayCacheSize: -1},
		"replay ttl":   {ReplayTTL: -time.Second},
		"concurrency":  {MaxConcurrentCalls: -1},
		"queue":        {MaxQueuedRepos: -1},
		"call timeout": {CallTimeout: -time.Second},
		"unknown type": {Secrets: map[string]string{"nexus": "k"}},
		"unknown host": {HostOverrides: map[string]string{"nexus": "h"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.withDefaults(); err == nil || !strings.Contains(err.Error(), "webhook config") {
				t.Fatalf("withDefaults = %v, want a webhook config error", err)
			}
		})
	}
}

func TestPeerIP(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.1:1234":   "192.0.2.1",
		"[2001:db8::1]:80": "2001:db8::1",
		"no-port":          "no-port",
		"":                 "",
	} {
		if got := peerIP(&http.Request{RemoteAddr: addr}); got != want {
			t.Errorf("peerIP(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestServerBodyCapIsConfigurable(t *testing.T) {
	body := readSample(t, "docker.io.json")
	tests := []struct {
		name string
		cap  int64
		want int
	}{
		{"cap equal to the body", int64(len(body)), http.StatusAccepted},
		{"cap one byte short", int64(len(body) - 1), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Config{Secrets: allSecrets(), MaxBodyBytes: tt.cap}, newRecordingSink())
			if w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil); w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
		})
	}
}

// A body too large counts against the failure budget, like a failed
// authentication: the body is refused before anyone checked who sent it.
func TestServerOversizedBodiesSpendTheFailureBudget(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets(), MaxBodyBytes: 8, FailedAuthBurst: 2}, newRecordingSink())
	var codes []int
	for range 3 {
		codes = append(codes, post(s, "/webhook?type=docker.io&secret="+testSecret, []byte(`{"much too long"}`), nil).Code)
	}
	want := []int{http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", codes, want)
		}
	}
}

func TestServerLimitersCanBeDisabled(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets(), RequestsPerSecond: -1, FailedAuthPerSecond: -1, RateBurst: 1, FailedAuthBurst: 1}, newRecordingSink())
	body := readSample(t, "docker.io.json")
	for i := range 20 {
		if w := post(s, "/webhook?type=docker.io&secret=wrong", body, nil); w.Code != http.StatusUnauthorized {
			t.Fatalf("unsigned request %d: status %d, want 401 (no failure limit)", i, w.Code)
		}
		if w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil); w.Code != http.StatusAccepted {
			t.Fatalf("signed request %d: status %d, want 202 (no rate limit)", i, w.Code)
		}
	}
}

func TestServerClientIPFunctionKeysTheBuckets(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets(), RateBurst: 1, ClientIP: func(r *http.Request) string {
		return r.Header.Get("X-Forwarded-For")
	}}, newRecordingSink())
	body := readSample(t, "docker.io.json")
	send := func(client string) int {
		return post(s, "/webhook?type=docker.io&secret="+testSecret, body, map[string]string{"X-Forwarded-For": client}).Code
	}
	if got := send("203.0.113.1"); got != http.StatusAccepted {
		t.Fatalf("first request: %d", got)
	}
	if got := send("203.0.113.1"); got != http.StatusTooManyRequests {
		t.Fatalf("same client again: %d, want 429", got)
	}
	// post always uses one TCP peer address; only the function tells them apart.
	if got := send("203.0.113.2"); got != http.StatusAccepted {
		t.Fatalf("other client behind the same peer: %d, want 202", got)
	}
}

func TestServerReplyHeaders(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets(), RateBurst: 1}, newRecordingSink())
	body := readSample(t, "docker.io.json")
	post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil)
	w := post(s, "/webhook?type=docker.io&secret="+testSecret, body, nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Errorf("429 = %d with Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if ct, nosniff := w.Header().Get("Content-Type"), w.Header().Get("X-Content-Type-Options"); ct != "text/plain; charset=utf-8" || nosniff != "nosniff" {
		t.Errorf("reply headers %q %q", ct, nosniff)
	}
	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodGet, "/webhook", "POST"},
		{http.MethodDelete, "/healthz", "GET, HEAD"},
	} {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", tt.method, tt.path, rec.Code, rec.Header().Get("Allow"), tt.allow)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD /healthz = %d", rec.Code)
	}
}

func TestServerQueryTypeWinsOverHeader(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
	w := post(s, "/webhook?type=docker.io&secret="+testSecret, readSample(t, "docker.io.json"), map[string]string{"X-Registry-Type": "harbor"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d; ?type= should have chosen docker.io", w.Code)
	}
}

func TestServerReplaysAreKeptPerType(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, Config{Secrets: allSecrets(), Clock: clock, ReplayTTL: time.Minute}, newRecordingSink())
	envelope := readSample(t, "distribution.json")
	send := func(typ string, header map[string]string) int {
		return post(s, "/webhook?type="+typ, envelope, header).Code
	}
	dist := map[string]string{"Authorization": testSecret}
	gitlab := map[string]string{"X-Gitlab-Token": testSecret}
	if got := send("distribution", dist); got != http.StatusAccepted {
		t.Fatalf("first distribution delivery: %d", got)
	}
	if got := send("gitlab", gitlab); got != http.StatusAccepted {
		t.Fatalf("same ids from another type: %d, want 202", got)
	}
	if got := send("distribution", dist); got != http.StatusOK {
		t.Fatalf("replay: %d, want 200", got)
	}
	clock.Advance(time.Minute)
	if got := send("distribution", dist); got != http.StatusAccepted {
		t.Fatalf("after the replay TTL: %d, want 202", got)
	}
}

func TestServerRejectedPayloadIsNotRememberedAsDelivered(t *testing.T) {
	s := newTestServer(t, Config{Secrets: allSecrets()}, newRecordingSink())
	bad := []byte(`{"events":[{"id":"x1","action":"push","target":{"repository":"a","tag":"1"}}]}`)
	auth := map[string]string{"Authorization": testSecret}
	for i := range 2 {
		if w := post(s, "/webhook?type=distribution", bad, auth); w.Code != http.StatusBadRequest {
			t.Fatalf("attempt %d: status %d, want 400 each time", i, w.Code)
		}
	}
}

func TestDebounceWindowIsFixed(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	var emitted []Event
	d := newDebouncer(clock, time.Second, func(ev Event) { mu.Lock(); emitted = append(emitted, ev); mu.Unlock() })
	ev := func(tag string) Event { return Event{Registry: "r", Repository: "a", Tag: tag} }
	if !d.add(ev("1")) {
		t.Fatal("first event did not open a window")
	}
	clock.Advance(900 * time.Millisecond)
	if d.add(ev("2")) {
		t.Fatal("event inside the window opened another")
	}
	clock.Advance(100 * time.Millisecond) // the first window closes: a later event does not extend it
	mu.Lock()
	got := append([]Event(nil), emitted...)
	mu.Unlock()
	if len(got) != 1 || got[0].Tag != "2" {
		t.Fatalf("emitted %+v, want one event with the latest tag 2 after exactly the window", got)
	}
	if !d.add(ev("3")) {
		t.Fatal("event after the window did not open a new one")
	}
	d.stop()
	clock.Advance(time.Second)
	if d.add(ev("4")) || d.pending() != 0 || len(emitted) != 1 || !d.isStopped() {
		t.Fatalf("after stop: pending %d, emitted %d; want nothing more", d.pending(), len(emitted))
	}
}

func TestDispatcherDropsBeyondQueueBound(t *testing.T) {
	var logs bytes.Buffer
	d := newDispatcher(SinkFunc(func(context.Context, Event) {}), slog.New(slog.NewTextHandler(&logs, nil)), 1, 2, time.Minute)
	for _, repo := range []string{"a", "b", "a", "c"} {
		d.submit(Event{Registry: "r", Repository: repo, Tag: repo + "-tag"})
	}
	if len(d.queue) != 2 || d.queued["r/a"].Tag != "a-tag" {
		t.Fatalf("queue %v, want a and b (a collapsed, c dropped)", d.queue)
	}
	if _, ok := d.queued["r/c"]; ok || !strings.Contains(logs.String(), "queue full") || !strings.Contains(logs.String(), "repository=c") {
		t.Fatalf("c not dropped with a warning; log: %s", logs.String())
	}
}

func TestDispatcherBoundsConcurrentCalls(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	running, most, calls := 0, 0, 0
	sink := SinkFunc(func(context.Context, Event) {
		mu.Lock()
		running++
		calls++
		most = max(most, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	})
	d := newDispatcher(sink, slog.New(slog.DiscardHandler), 2, 100, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.run(ctx); close(done) }()
	for _, repo := range []string{"a", "b", "c", "d", "e"} {
		d.submit(Event{Registry: "r", Repository: repo})
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls == 2 })
	time.Sleep(50 * time.Millisecond) // give a third call the chance to start wrongly
	for range 5 {
		release <- struct{}{}
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls == 5 })
	cancel()
	<-done
	if most != 2 {
		t.Fatalf("at most %d calls ran at once, want 2", most)
	}
}

func TestIPLimiterForgetsRefilledBucketsFirst(t *testing.T) {
	l := newIPLimiter(1, 2, 2)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l.allow("idle", start)
	l.allow("busy", start.Add(2*time.Second))
	l.allow("busy", start.Add(2*time.Second))
	// "idle" has refilled (2 tokens at 1/s) by now; "busy" has not.
	l.allow("new", start.Add(2500*time.Millisecond))
	if _, ok := l.buckets["idle"]; ok {
		t.Error("refilled bucket kept")
	}
	if _, ok := l.buckets["busy"]; !ok {
		t.Error("bucket still draining was forgotten")
	}
	if l.allow("busy", start.Add(2500*time.Millisecond)) {
		t.Error("drained bucket allowed a request: it was reset")
	}
}

func TestAnyOfRunsEveryVerifier(t *testing.T) {
	var calls []string
	record := func(name string, result bool) Verifier {
		return VerifierFunc(func(string, []byte, *http.Request) bool { calls = append(calls, name); return result })
	}
	if !AnyOf(record("first", true), record("second", false), record("third", false)).Verify("k", nil, newRequest("/", nil)) {
		t.Fatal("AnyOf rejected although one verifier accepted")
	}
	if strings.Join(calls, ",") != "first,second,third" {
		t.Fatalf("verifiers run: %v; all must run so timing does not tell which matched", calls)
	}
	if AnyOf().Verify("k", nil, newRequest("/", nil)) {
		t.Fatal("AnyOf of nothing accepted")
	}
}

func TestSecretEqual(t *testing.T) {
	tests := []struct {
		got, secret string
		want        bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cret ", "s3cret", false},
		{"S3cret", "s3cret", false},
		{"s3cre", "s3cret", false},
		{"s3cret-and-more", "s3cret", false},
		{"", "s3cret", false},
	}
	for _, tt := range tests {
		if got := secretEqual(tt.got, tt.secret); got != tt.want {
			t.Errorf("secretEqual(%q, %q) = %v, want %v", tt.got, tt.secret, got, tt.want)
		}
	}
}

func TestNewHTTPServerTimeouts(t *testing.T) {
	srv := NewHTTPServer(":8080", http.NotFoundHandler())
	if srv.Addr != ":8080" || srv.Handler == nil {
		t.Fatalf("server %+v", srv)
	}
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Fatalf("a timeout or limit is unset (slow-client protection): %+v", srv)
	}
}
