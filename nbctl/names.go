package nbctl

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkName rejects names that could not round-trip or would be ambiguous:
// empty, invalid UTF-8, control characters, a leading '-' (read as an
// option) or a UUID (read as a row reference).
func checkName(kind, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s name must not be empty", kind)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q: %s name is not valid UTF-8", s, kind)
	case strings.HasPrefix(s, "-"):
		return fmt.Errorf("%s: %s name must not start with '-'", s, kind)
	case isUUID(s):
		return fmt.Errorf("%s: %s name must not be a UUID (it would be read as a row reference)", s, kind)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%q: %s name contains a control character", s, kind)
		}
	}
	return nil
}

// isUUID reports whether s is a canonical RFC 4122 UUID string.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
