package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
)

// Client calls a trigger API server.
type Client struct {
	// URL is the server's base URL, e.g. http://imagepilot:8083.
	URL string
	// Token is the bearer token.
	Token string
	// HTTP is the HTTP client (default: 5 minute timeout, checks can be slow).
	HTTP *http.Client
}

// Check asks the server to check now.
func (c *Client) Check(ctx context.Context, req CheckRequest) (CheckResult, error) {
	var res CheckResult
	return res, c.do(ctx, http.MethodPost, "/api/v1/check", req, &res)
}

// Holds lists the holds.
func (c *Client) Holds(ctx context.Context) (holds.Set, error) {
	var set holds.Set
	return set, c.do(ctx, http.MethodGet, "/api/v1/holds", nil, &set)
}

// Hold pins an image.
func (c *Client) Hold(ctx context.Context, h holds.Hold) error {
	return c.do(ctx, http.MethodPost, "/api/v1/holds", h, nil)
}

// Release removes a hold.
func (c *Client) Release(ctx context.Context, application, image string) error {
	q := url.Values{"application": {application}, "image": {image}}
	return c.do(ctx, http.MethodDelete, "/api/v1/holds?"+q.Encode(), nil, nil)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, body)
	if err != nil {
		// url.Parse's error repeats the address, password included.
		return fmt.Errorf("trigger API: invalid server URL %s", redactURL(c.URL))
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("trigger API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("trigger API: reading answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e errorBody
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("trigger API: %s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("trigger API: %s", resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("trigger API: malformed answer: %w", err)
	}
	return nil
}

// redactURL hides a password in a server URL; net/url's Redacted where the
// URL parses, else everything between "://" and "@".
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if at := strings.LastIndexByte(rest, '@'); ok && at >= 0 {
		return scheme + "://xxxxx" + rest[at:]
	}
	return s
}
