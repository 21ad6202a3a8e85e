package forge

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestErrorMapping: each forge's error answers become an *Error with the
// provider, the operation and the HTTP status, never quoting the token
// (even when the forge echoes it); "already gone" answers of a branch
// delete are not errors; a conflict the forge does not back with a listed
// request is an error, not an adoption.
func TestErrorMapping(t *testing.T) {
	ctx := context.Background()
	const echo = `{"message":"Bad credentials: wire-token-1 is not valid"}`
	reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	openCall := func(p Provider) error {
		_, err := p.Open(ctx, NewPullRequest{Head: "image-updater/a1", Base: "main", Title: "t"})
		return err
	}
	findCall := func(p Provider) error { _, err := p.FindOpen(ctx, "main", "image-updater/a1"); return err }
	deleteCall := func(p Provider) error { return p.DeleteBranch(ctx, "image-updater/a1") }
	tests := []struct {
		name, kind string
		answers    map[string]wireAnswer
		call       func(Provider) error
		status     int    // 0: no error wanted
		text       string // in the error
	}{
		{name: "401 echoing the token", kind: GitHub, answers: map[string]wireAnswer{"GET " + ghPulls: {401, echo, nil}}, call: findCall, status: 401, text: "list pull requests"},
		{name: "401 echoing the token", kind: GitLab, answers: map[string]wireAnswer{"GET " + glMRs: {401, `{"message":"401 Unauthorized wire-token-1"}`, nil}}, call: findCall, status: 401, text: "list merge requests"},
		{name: "401 echoing the token", kind: Gitea, answers: map[string]wireAnswer{"GET " + gtPulls: {401, echo, nil}}, call: findCall, status: 401, text: "list pull requests"},
		{name: "403 rate limit", kind: GitHub, answers: map[string]wireAnswer{"POST " + ghPulls: {403, `{"message":"API rate limit exceeded for installation ID 7."}`,
			map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}}}, call: openCall, status: 403, text: "rate limit"},
		{name: "429 rate limit, no retry", kind: GitLab, answers: map[string]wireAnswer{"POST " + glMRs: {429, `{"message":"429 Too Many Requests"}`,
			map[string]string{"Retry-After": "60", "RateLimit-Remaining": "0"}}}, call: openCall, status: 429, text: "open merge request"},
		{name: "404 repository", kind: GitHub, call: findCall, status: 404, text: "Not Found"},
		{name: "404 project", kind: GitLab, call: findCall, status: 404},
		{name: "404 repository", kind: Gitea, call: findCall, status: 404},
		{name: "422 validation is not adopted", kind: GitHub, answers: map[string]wireAnswer{"POST " + ghPulls: {422,
			`{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"head","code":"invalid"}]}`, nil}}, call: openCall, status: 422, text: "Validation Failed"},
		{name: "422 exists but none listed", kind: GitHub, answers: map[string]wireAnswer{
			"POST " + ghPulls: {422, `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for team:image-updater/a1."}]}`, nil},
			"GET " + ghPulls:  {200, `[]`, nil}}, call: openCall, status: 422, text: "none is listed"},
		{name: "409 exists but none listed", kind: GitLab, answers: map[string]wireAnswer{
			"POST " + glMRs: {409, `{"message":["Another open merge request already exists for this source branch: !4"]}`, nil},
			"GET " + glMRs:  {200, `[]`, nil}}, call: openCall, status: 409, text: "none is listed"},
		{name: "409 exists but none listed", kind: Gitea, answers: map[string]wireAnswer{
			"POST " + gtPulls: {409, `{"message":"pull request already exists for these targets"}`, nil},
			"GET " + gtPulls:  {200, `[]`, nil}}, call: openCall, status: 409, text: "none is listed"},
		{name: "409 exists, listing fails", kind: GitLab, answers: map[string]wireAnswer{
			"POST " + glMRs: {409, `{"message":["Another open merge request already exists"]}`, nil},
			"GET " + glMRs:  {500, `{"message":"500 Internal Server Error"}`, nil}}, call: openCall, status: 500, text: "list merge requests"},
		{name: "delete: 422 reference does not exist", kind: GitHub, answers: map[string]wireAnswer{
			"DELETE /api/v3/repos/team/app/git/refs/heads/image-updater/a1": {422, `{"message":"Reference does not exist"}`, nil}}, call: deleteCall},
		{name: "delete: 404", kind: GitHub, call: deleteCall},
		{name: "delete: 404", kind: GitLab, call: deleteCall},
		{name: "delete: 404", kind: Gitea, call: deleteCall},
		{name: "delete: 403", kind: GitHub, answers: map[string]wireAnswer{
			"DELETE /api/v3/repos/team/app/git/refs/heads/image-updater/a1": {403, `{"message":"Resource not accessible by integration"}`, nil}}, call: deleteCall, status: 403, text: "delete branch image-updater/a1"},
		{name: "delete: protected branch", kind: GitLab, answers: map[string]wireAnswer{
			"DELETE /api/v4/projects/group%2Fsub%2Fapp/repository/branches/image-updater%2Fa1": {405, `{"message":"405 Method Not Allowed"}`, nil}}, call: deleteCall, status: 405},
		{name: "delete: 200 is not 204", kind: Gitea, answers: map[string]wireAnswer{
			"DELETE /api/v1/repos/team/app/branches/image-updater/a1": {200, `{}`, nil}}, call: deleteCall, status: 200, text: "not 204"},
		{name: "delete: 423 locked", kind: Gitea, answers: map[string]wireAnswer{
			"DELETE /api/v1/repos/team/app/branches/image-updater/a1": {423, `{"message":"locked"}`, nil}}, call: deleteCall, status: 423},
		{name: "comment refused stops the close", kind: GitLab, answers: map[string]wireAnswer{
			"POST " + glMRs + "/3/notes": {403, `{"message":"403 Forbidden"}`, nil}, "PUT " + glMRs + "/3": {200, glMR6, nil}},
			call: func(p Provider) error { return p.Close(ctx, PullRequest{Number: 3}, "bye") }, status: 403, text: "comment on merge request !3"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			project := "team/app"
			if tt.kind == GitLab {
				project = "group/sub/app"
			}
			f, p := wireProvider(t, tt.kind, project, tt.answers)
			err := tt.call(p)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("err %v, want none", err)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Provider != tt.kind || fe.StatusCode != tt.status || StatusOf(err) != tt.status {
				t.Fatalf("err %v (%T), want a %s *Error with status %d", err, err, tt.kind, tt.status)
			}
			if strings.Contains(err.Error(), f.token) || !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(tt.status)) {
				t.Fatalf("error %q: want %q and the status, without the token", err, tt.text)
			}
			if tt.name == "comment refused stops the close" && len(f.requests()) != 1 {
				t.Fatalf("closed after the comment failed: %v", f.requests())
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	for _, kind := range []string{GitHub, GitLab, Gitea} {
		_, p := wireProvider(t, kind, map[bool]string{true: "group/sub/app", false: "team/app"}[kind == GitLab], nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := p.ListOpen(ctx, "main", "image-updater/")
		if !errors.Is(err, context.Canceled) || StatusOf(err) != 0 {
			t.Errorf("%s: %v, want context.Canceled without a status", kind, err)
		}
	}
}

func TestErrorText(t *testing.T) {
	cause := errors.New("boom")
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Provider: GitHub, Op: "open pull request", StatusCode: 422, Err: cause}, "github: open pull request: HTTP 422: boom"},
		{&Error{Provider: Gitea, Op: "list pull requests", Err: cause}, "gitea: list pull requests: boom"},
	} {
		if got := tc.err.Error(); got != tc.want || !errors.Is(tc.err, cause) {
			t.Errorf("Error() = %q, want %q (and unwrapping to the cause)", got, tc.want)
		}
	}
	if StatusOf(cause) != 0 || StatusOf(nil) != 0 {
		t.Error("StatusOf of a plain error is not 0")
	}
}
