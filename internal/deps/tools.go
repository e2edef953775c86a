//go:build tools

// Package deps pins modules the project depends on before code imports
// them (the chassis's netlink and netns work), so `go mod tidy` keeps the
// exact versions DESIGN §2 names.
package deps

import (
	_ "github.com/vishvananda/netlink"
	_ "github.com/vishvananda/netns"
)
