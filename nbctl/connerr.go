package nbctl

import (
	"errors"
	"strings"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// connFailed words a failed connection as ovn-nbctl does, "EP: database
// connection failed (REASON)", naming each endpoint once: the one that
// failed or, when no member of a list could be used, "database connection
// failed: EP1 (REASON1); EP2 (REASON2)".
func connFailed(ep string, err error) error {
	var de *ovsdbrpc.DialError
	if errors.As(err, &de) && len(de.Failures) == 1 {
		ep, err = de.Failures[0].Endpoint, errors.New(de.Failures[0].Reason())
	} else if de != nil && len(de.Failures) > 1 {
		parts := make([]string, len(de.Failures))
		for i, f := range de.Failures {
			parts[i] = f.Endpoint + " (" + f.Reason() + ")"
		}
		return errors.New("database connection failed: " + strings.Join(parts, "; "))
	}
	return errors.New(ep + ": database connection failed (" + strings.TrimPrefix(err.Error(), ep+": ") + ")")
}
