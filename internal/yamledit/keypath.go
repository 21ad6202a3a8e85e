package yamledit

import (
	"fmt"
	"strconv"
	"strings"
)

// segment is one step of a Helm value key: a mapping key or a list index.
type segment struct {
	key   string
	index int
	isIdx bool
}

// parseKey splits a dotted key such as `a.b[0].c` or `annotations.x\.io/y`
// into segments. See the package documentation for the escape rules.
func parseKey(key string) ([]segment, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	var segs []segment
	var cur strings.Builder
	haveKey, afterIndex := false, false
	flush := func(i int) error {
		if !haveKey {
			if afterIndex {
				return nil
			}
			return fmt.Errorf("%w: empty segment at position %d in %q", ErrInvalidKey, i, key)
		}
		segs = append(segs, segment{key: cur.String()})
		cur.Reset()
		haveKey = false
		return nil
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '\\':
			if i+1 >= len(key) || !strings.ContainsRune(`.[]\`, rune(key[i+1])) {
				return nil, fmt.Errorf("%w: bad escape at position %d in %q", ErrInvalidKey, i, key)
			}
			i++
			cur.WriteByte(key[i])
			haveKey, afterIndex = true, false
		case c == '.':
			if err := flush(i); err != nil {
				return nil, err
			}
			if i+1 >= len(key) {
				return nil, fmt.Errorf("%w: key %q ends with '.'", ErrInvalidKey, key)
			}
			afterIndex = false
		case c == '[':
			if haveKey {
				if err := flush(i); err != nil {
					return nil, err
				}
			} else if len(segs) == 0 || !afterIndex && key[i-1] != ']' {
				return nil, fmt.Errorf("%w: index without a key at position %d in %q", ErrInvalidKey, i, key)
			}
			end := strings.IndexByte(key[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("%w: unclosed '[' in %q", ErrInvalidKey, key)
			}
			idx, err := parseIndex(key[i+1 : i+end])
			if err != nil {
				return nil, fmt.Errorf("%w: index %q in %q", ErrInvalidKey, key[i+1:i+end], key)
			}
			segs = append(segs, segment{index: idx, isIdx: true})
			i += end
			afterIndex = true
			if i+1 < len(key) && key[i+1] != '.' && key[i+1] != '[' {
				return nil, fmt.Errorf("%w: expected '.' or '[' after ']' in %q", ErrInvalidKey, key)
			}
		case c == ']':
			return nil, fmt.Errorf("%w: unexpected ']' at position %d in %q", ErrInvalidKey, i, key)
		default:
			cur.WriteByte(c)
			haveKey, afterIndex = true, false
		}
	}
	if haveKey {
		segs = append(segs, segment{key: cur.String()})
	}
	return segs, nil
}

func parseIndex(s string) (int, error) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a small non-negative integer")
	}
	return strconv.Atoi(s)
}
