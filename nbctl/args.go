package nbctl

import (
	"fmt"
	"slices"
	"strings"
)

// perCommandOptions are the options that stand right before a command.
var perCommandOptions = []string{"--may-exist", "--if-exists"}

// globalValueFlags take a value as the next argument when not written
// "--flag=value".
var globalValueFlags = []string{"--db", "--timeout", "-t", "--wait", "--format", "-f",
	"--private-key", "-p", "--certificate", "-c", "--ca-cert", "-C", "--sb-db",
	"--pidfile", "--log-file", "--daemon"}

// SplitGlobal separates the leading global options (for the flag parser)
// from the command chain; per-command options before the first command
// stay with the chain, as in "dvr-nbctl --may-exist ls-add sw1".
func SplitGlobal(argv []string) (globals, chain []string) {
	i := 0
	for i < len(argv) {
		a := argv[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		if slices.Contains(perCommandOptions, a) {
			chain = append(chain, a)
			i++
			continue
		}
		globals = append(globals, a)
		if slices.Contains(globalValueFlags, a) && i+1 < len(argv) {
			globals = append(globals, argv[i+1])
			i++
		}
		i++
	}
	if i < len(argv) && argv[i] == "--" {
		i++
	}
	return globals, append(chain, argv[i:]...)
}

// parseChain splits a command chain on "--" and checks every command's
// name, per-command options and argument count before anything is read.
func parseChain(chain []string) ([]invocation, error) {
	idx := commandIndex()
	var invs []invocation
	var group []string
	flush := func() error {
		if len(group) == 0 {
			return fmt.Errorf("missing command name (use --help for help)")
		}
		inv, err := parseOne(idx, group)
		if err != nil {
			return err
		}
		invs = append(invs, inv)
		group = nil
		return nil
	}
	for _, a := range chain {
		if a == "--" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		group = append(group, a)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return invs, nil
}

func parseOne(idx map[string]*command, group []string) (invocation, error) {
	opts := map[string]bool{}
	i := 0
	for ; i < len(group) && strings.HasPrefix(group[i], "--"); i++ {
		if !slices.Contains(perCommandOptions, group[i]) {
			return invocation{}, fmt.Errorf("%s: unknown option (only --may-exist and --if-exists may precede a command)", group[i])
		}
		opts[group[i]] = true
	}
	if i == len(group) {
		return invocation{}, fmt.Errorf("missing command name (use --help for help)")
	}
	cmd, ok := idx[group[i]]
	if !ok {
		return invocation{}, fmt.Errorf("unknown command '%s'; use --help for help", group[i])
	}
	for o := range opts {
		if !slices.Contains(cmd.options, o) {
			return invocation{}, fmt.Errorf("'%s' command has no '%s' option", cmd.name, o)
		}
	}
	args := group[i+1:]
	if len(args) < cmd.min {
		return invocation{}, fmt.Errorf("'%s' command requires at least %d arguments (usage: %s %s)", cmd.name, cmd.min, cmd.name, cmd.args)
	}
	if cmd.max >= 0 && len(args) > cmd.max {
		return invocation{}, fmt.Errorf("'%s' command takes at most %d arguments (usage: %s %s)", cmd.name, cmd.max, cmd.name, cmd.args)
	}
	return invocation{cmd: cmd, args: args, opts: opts}, nil
}
