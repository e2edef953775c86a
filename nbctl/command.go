package nbctl

import (
	"fmt"
	"strings"
)

// command is one row of the command table, as in ovn-nbctl: name, argument
// counts, the per-command options it takes, and its run step working on
// the txn view.
type command struct {
	name    string
	args    string // usage of the arguments
	min     int
	max     int // -1: unlimited
	options []string
	help    string
	run     func(c *cmdCtx) error
}

// cmdCtx is what a command's run step gets.
type cmdCtx struct {
	t    *txn
	args []string
	opts map[string]bool
	out  *[]result
}

func (c *cmdCtx) has(opt string) bool { return c.opts[opt] }

// emit records one piece of output.
func (c *cmdCtx) emit(text string, data any) {
	*c.out = append(*c.out, result{text: text, data: data})
}

// result is what one command prints: text for --format=table, data for json.
type result struct {
	text string
	data any
}

// invocation is one parsed command of a chain.
type invocation struct {
	cmd  *command
	args []string
	opts map[string]bool
}

func (inv invocation) String() string {
	var b strings.Builder
	for o := range inv.opts {
		b.WriteString(o + " ")
	}
	b.WriteString(inv.cmd.name)
	for _, a := range inv.args {
		b.WriteString(" " + a)
	}
	return b.String()
}

// commands is the table of every command dvr-nbctl knows.
func commands() []*command {
	var all []*command
	all = append(all, globalCommands()...)
	all = append(all, switchCommands()...)
	all = append(all, portCommands()...)
	all = append(all, routerCommands()...)
	return all
}

func commandIndex() map[string]*command {
	m := map[string]*command{}
	for _, c := range commands() {
		m[c.name] = c
	}
	return m
}

// Usage renders the command list for --help.
func Usage() string {
	var b strings.Builder
	for _, c := range commands() {
		opts := ""
		if len(c.options) > 0 {
			opts = "[" + strings.Join(c.options, "|") + "] "
		}
		line := fmt.Sprintf("  %s%s %s", opts, c.name, c.args)
		fmt.Fprintf(&b, "%-62s %s\n", line, c.help)
	}
	return b.String()
}
