package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
)

// Parser reads one registry's notification format.
type Parser interface {
	// Type is the value of ?type= (or X-Registry-Type) this parser serves.
	Type() string
	// Parse returns the events a request body describes. Requests that are
	// valid but not about a tagged push return no events and no error.
	// Errors caused by the body wrap ErrInvalidPayload.
	Parse(body []byte, r *http.Request) ([]Event, error)
}

// DeliveryIDer is implemented by parsers whose payloads carry a delivery
// id; the server uses it to drop replays. An empty id disables the check.
type DeliveryIDer interface {
	DeliveryID(body []byte, r *http.Request) string
}

// ParserSet maps webhook types to their parser and authentication scheme.
// It is built in code: DefaultParserSet for the built-in types, or
// NewParserSet and Register for a custom selection.
type ParserSet struct {
	byType map[string]registered
}

type registered struct {
	parser   Parser
	verifier Verifier
}

// NewParserSet returns an empty set.
func NewParserSet() *ParserSet {
	return &ParserSet{byType: map[string]registered{}}
}

// DefaultParserSet returns every built-in type with its authentication scheme.
func DefaultParserSet() *ParserSet {
	s := NewParserSet()
	for _, e := range []registered{
		{DockerHubParser{}, QuerySecret()},
		{GHCRParser{}, HubSignature256()},
		{QuayParser{}, QuerySecret()},
		{HarborParser{}, AuthorizationSecret()},
		{ACRParser{}, AuthorizationSecret()},
		{AliyunACRParser{}, QuerySecret()},
		{CloudEventsParser{}, AnyOf(QuerySecret(), HeaderSecret("X-Webhook-Secret"))},
		{GitLabParser{}, HeaderSecret("X-Gitlab-Token")},
		{DistributionParser{}, AuthorizationSecret()},
	} {
		if err := s.Register(e.parser, e.verifier); err != nil {
			panic(err) // the built-in list has unique types; a duplicate is a programming error
		}
	}
	return s
}

// Register adds a parser and the verifier that authenticates its requests.
func (s *ParserSet) Register(p Parser, v Verifier) error {
	if p == nil || v == nil {
		return fmt.Errorf("register webhook type: parser and verifier are required")
	}
	if _, dup := s.byType[p.Type()]; dup {
		return fmt.Errorf("register webhook type %q: already registered", p.Type())
	}
	s.byType[p.Type()] = registered{parser: p, verifier: v}
	return nil
}

// Lookup returns the parser and verifier registered for a type.
func (s *ParserSet) Lookup(typ string) (Parser, Verifier, bool) {
	e, ok := s.byType[typ]
	return e.parser, e.verifier, ok
}

// Types lists the registered types in sorted order.
func (s *ParserSet) Types() []string {
	types := make([]string, 0, len(s.byType))
	for t := range s.byType {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// decodeJSON unmarshals a body, wrapping failures in ErrInvalidPayload.
func decodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: malformed JSON: %w", ErrInvalidPayload, err)
	}
	return nil
}
