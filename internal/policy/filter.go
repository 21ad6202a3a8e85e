package policy

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// tagFilter holds the allow-tags and ignore-tags filters, which every
// strategy applies before it looks at a tag.
type tagFilter struct {
	allowRaw string
	allow    *regexp.Regexp // nil: allow any tag
	ignore   []string       // path.Match globs
}

const allowRegexpPrefix = "regexp:"

// compileFilter validates allow-tags and ignore-tags.
func compileFilter(allowTags string, ignoreTags []string) (tagFilter, []error) {
	var errs []error
	f := tagFilter{allowRaw: allowTags}
	allow, err := compileAllow(allowTags)
	if err != nil {
		errs = append(errs, err)
	}
	f.allow = allow
	for _, g := range ignoreTags {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, invalid("ignore-tags", g, "invalid glob", err))
			continue
		}
		f.ignore = append(f.ignore, g)
	}
	return f, errs
}

func compileAllow(s string) (*regexp.Regexp, error) {
	v := strings.TrimSpace(s)
	switch {
	case v == "" || v == "any":
		return nil, nil
	case strings.HasPrefix(v, allowRegexpPrefix):
		re, err := regexp.Compile(strings.TrimPrefix(v, allowRegexpPrefix))
		if err != nil {
			return nil, invalid("allow-tags", s, "invalid regexp", err)
		}
		return re, nil
	default:
		return nil, invalid("allow-tags", s, `want "any" or "regexp:<re>"`, nil)
	}
}

// reject returns why tag is filtered out, or "" when it passes.
func (f tagFilter) reject(tag string) string {
	for _, g := range f.ignore {
		if ok, _ := path.Match(g, tag); ok {
			return fmt.Sprintf("ignored by ignore-tags %q", g)
		}
	}
	if f.allow != nil && !f.allow.MatchString(tag) {
		return fmt.Sprintf("not matched by allow-tags %q", f.allowRaw)
	}
	return ""
}
