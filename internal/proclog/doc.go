// Package proclog collects the log lines of a process (one of ours, or
// one started by a test or a benchmark) as they arrive, stamped with the
// time they were read (logrus' own timestamps have a resolution of a
// second), parsed as JSON when they are, and lets callers wait for a line
// that matches. ovsdbtest.Daemon, northd's process tests and the northd
// benchmark all read their daemons through it.
package proclog
