package chassis

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
)

// Config is dvr-chassis' configuration.
type Config struct {
	// SB is the southbound database (not leader-only: any member serves a
	// monitor, and writes are forwarded to the leader).
	SB ovsdbconn.Config
	// OVS is the local Open_vSwitch database.
	OVS ovsdbconn.Config
	// SystemID is the chassis name; "" reads the local
	// Open_vSwitch external_ids:system-id (once, at start).
	SystemID string
	// EncapIP is the VXLAN endpoint; "" reads external_ids:ovn-encap-ip
	// (every round, so a change is picked up).
	EncapIP string
	// Hostname; "" reads external_ids:hostname, then the kernel's.
	Hostname string
	// IntegrationBridge and TunnelBridge default to br-int and br-tun.
	IntegrationBridge, TunnelBridge string
	// DatapathType is system (default) or netdev.
	DatapathType string
	// UnderlayMTU is the MTU of the tunnel underlay (default 1500); qr-
	// devices get 50 less (the VXLAN overhead).
	UnderlayMTU int
	// RunDir is the OVS run directory, where <bridge>.mgmt is (default
	// $OVS_RUNDIR, then /var/run/openvswitch).
	RunDir string
	// InterfaceDriver makes qr- devices: veth (the only one so far).
	InterfaceDriver string
	// Monitor is the SB monitor mode: all (default: every row of every
	// table the chassis reads) or conditional (Port_Binding and
	// DVR_Router_Binding only as far as this chassis needs them: interest.go).
	Monitor string
	// Echo is the monitors' watchdog period (default 5 s).
	Echo time.Duration
	// Resync is the period of a round with no event (default 60 s).
	Resync time.Duration
	// FullOnly turns the incremental path off: every round recomputes
	// everything (the oracle; hidden flag --incremental=false).
	FullOnly bool
	// CheckIncremental makes every incremental round compare its result
	// with a full recompute (flows and router state) and log an error
	// naming the difference (tests; hidden flag --check-incremental).
	CheckIncremental bool
	Log              *logrus.Logger
	// Metrics, when set, receives round statistics.
	Metrics *Metrics
}

func (c *Config) defaults() error {
	if c.IntegrationBridge == "" {
		c.IntegrationBridge = "br-int"
	}
	if c.TunnelBridge == "" {
		c.TunnelBridge = "br-tun"
	}
	if c.IntegrationBridge == c.TunnelBridge {
		return fmt.Errorf("the integration and tunnel bridges must differ (both %q)", c.IntegrationBridge)
	}
	switch c.DatapathType {
	case "":
		c.DatapathType = "system"
	case "system", "netdev":
	default:
		return fmt.Errorf("datapath type must be system or netdev, not %q", c.DatapathType)
	}
	if c.UnderlayMTU == 0 {
		c.UnderlayMTU = 1500
	}
	if c.UnderlayMTU < 118 || c.UnderlayMTU > 65535 {
		return fmt.Errorf("underlay MTU %d: must be 118..65535 (qr- devices get 50 less, and IPv4 needs 68)", c.UnderlayMTU)
	}
	switch c.InterfaceDriver {
	case "", "veth":
		c.InterfaceDriver = "veth"
	case "internal":
		return errors.New("interface driver internal: not supported yet (an internal qr- port on a netdev datapath dies with ovs-vswitchd); use veth")
	default:
		return fmt.Errorf("interface driver must be veth or internal, not %q", c.InterfaceDriver)
	}
	switch c.Monitor {
	case "":
		c.Monitor = MonitorAll
	case MonitorAll, MonitorConditional:
	default:
		return fmt.Errorf("monitor mode must be all or conditional, not %q", c.Monitor)
	}
	if c.RunDir == "" {
		c.RunDir = os.Getenv("OVS_RUNDIR")
	}
	if c.RunDir == "" {
		c.RunDir = "/var/run/openvswitch"
	}
	if c.Log == nil {
		return errors.New("chassis: Config.Log is required")
	}
	if c.Echo == 0 {
		c.Echo = 5 * time.Second
	}
	if c.Resync == 0 {
		c.Resync = 60 * time.Second
	}
	return nil
}
