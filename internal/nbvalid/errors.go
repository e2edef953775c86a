package nbvalid

// FieldError is a bad value and the column that holds it, so that a
// caller can say "bad mac ..." or "bad network ..." in its own words.
type FieldError struct {
	Column string // "addresses", "mac", "networks", "peer"
	Value  string // the offending element as written
	Err    error  // the reason, naming the value
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(col, val string, err error) error {
	return &FieldError{Column: col, Value: val, Err: err}
}
