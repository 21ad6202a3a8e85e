package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// errIncompleteListing marks a tag listing the registry cut short.
var errIncompleteListing = errors.New("incomplete tag listing")

// maxTagPages bounds the pages of one listing (a registry that never
// stops paging is an error, not an endless loop).
const maxTagPages = 10000

// tagPage is one /tags/list answer.
type tagPage struct {
	Name *string  `json:"name"`
	Tags []string `json:"tags"`
}

// listTags pages through /v2/<repo>/tags/list with n=pageSize. It follows
// Link headers; a full page without one is continued with last= (the OCI
// pagination without links), so a dropped Link header cannot shorten the list.
// A full page is continued even when it repeats last (registries whose last=
// is inclusive); a page of nothing new ends the listing (go-containerregistry's
// registry answers a last= past the end with the first page).
func (c *Client) listTags(ctx context.Context, t *target) ([]string, error) {
	client := &http.Client{Transport: t.transport}
	n := c.opts.pageSize
	next := t.repo.Scheme() + "://" + t.repo.RegistryStr() + "/v2/" + t.repo.RepositoryStr() + "/tags/list?n=" + strconv.Itoa(n)
	first := next
	var all []string
	last := ""
	for page := 0; next != ""; page++ {
		if page >= maxTagPages {
			return nil, fmt.Errorf("%w: more than %d pages", errIncompleteListing, maxTagPages)
		}
		tags, link, err := fetchTagPage(ctx, client, next)
		if err != nil {
			return nil, err
		}
		if page == 0 && len(tags) > n {
			return tags, nil // the registry ignores n and sent everything
		}
		listed := len(tags)
		tags = after(tags, last)
		all = append(all, tags...)
		switch {
		case link != nil:
			if err := sameRegistry(link, t.repo.RegistryStr()); err != nil {
				return nil, err
			}
			next = link.String()
		case listed >= n && len(tags) > 0:
			// A full page (of which some may repeat last): continue after it.
			last = tags[len(tags)-1]
			next = first + "&last=" + url.QueryEscape(last)
		default:
			next = ""
		}
	}
	return all, nil
}

// after drops tags not sorting after last (registries that answer last=
// with the whole list); with last empty it returns tags unchanged.
func after(tags []string, last string) []string {
	if last == "" {
		return tags
	}
	out := tags[:0:0]
	for _, t := range tags {
		if t > last {
			out = append(out, t)
		}
	}
	return out
}

// fetchTagPage gets and strictly decodes one page and its next-page link.
func fetchTagPage(ctx context.Context, client *http.Client, u string) ([]string, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read page: %w", errIncompleteListing, err)
	}
	tags, err := ParseTagPage(body)
	if err != nil {
		return nil, nil, err
	}
	link, err := nextLink(resp)
	if err != nil {
		return nil, nil, err
	}
	return tags, link, nil
}

// ParseTagPage decodes a /tags/list body. A body that is not one complete
// JSON object with a name is an error wrapping errIncompleteListing.
func ParseTagPage(body []byte) ([]string, error) {
	var p tagPage
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: decode page: %v", errIncompleteListing, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after page", errIncompleteListing)
	}
	if p.Name == nil {
		return nil, fmt.Errorf("%w: page has no name", errIncompleteListing)
	}
	return p.Tags, nil
}

// nextLink parses a Link: <url>; rel="next" header, resolved against the
// request URL; nil when there is none.
func nextLink(resp *http.Response) (*url.URL, error) {
	h := resp.Header.Get("Link")
	if h == "" {
		return nil, nil
	}
	start, end := strings.IndexByte(h, '<'), strings.IndexByte(h, '>')
	if start != 0 || end < 1 {
		return nil, fmt.Errorf("%w: malformed Link header %q", errIncompleteListing, h)
	}
	u, err := url.Parse(h[1:end])
	if err != nil {
		return nil, fmt.Errorf("%w: malformed Link header: %v", errIncompleteListing, err)
	}
	return resp.Request.URL.ResolveReference(u), nil
}

// sameRegistry refuses a pagination link to another host.
func sameRegistry(u *url.URL, host string) error {
	if u.Host != host {
		return fmt.Errorf("%w: pagination link leaves the registry (%s)", errIncompleteListing, u.Host)
	}
	return nil
}
