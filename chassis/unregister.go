package chassis

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// Unregister deletes the Chassis (with its Encap) and Chassis_Private rows
// named name, and its port claims (DVR_Port_Claim), in one transaction,
// and returns how many Chassis and Chassis_Private rows went. Under RBAC
// it connects with the chassis' own certificate: these are all rows it
// may delete.
// dvr-northd then frees the chassis' DVR MAC and router bindings, and
// OVSDB clears the Port_Binding.chassis references. The caller makes sure
// no dvr-chassis runs for it (it would register again).
func Unregister(ctx context.Context, sb ovsdbconn.Config, name string) (chassis, private int, err error) {
	if name == "" {
		return 0, 0, errors.New("no chassis name")
	}
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		return 0, 0, err
	}
	c, err := sb.Connect(ctx, m)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	byName := []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, name)}
	ops := []ovsdb.Operation{
		{Op: ovsdb.OperationDelete, Table: sbdb.ChassisTable, Where: byName},
		{Op: ovsdb.OperationDelete, Table: sbdb.ChassisPrivateTable, Where: byName},
		{Op: ovsdb.OperationDelete, Table: sbdb.DVRPortClaimTable,
			Where: []ovsdb.Condition{ovsdb.NewCondition("chassis_name", ovsdb.ConditionEqual, name)}},
	}
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return 0, 0, err
	}
	if e := ovsdbrpc.FirstError(ops, 0, res); e != nil {
		return 0, 0, e // names the operation and the server's details (e.g. an RBAC refusal)
	}
	return res[0].Count, res[1].Count, nil
}

// ReadSystemID reads Open_vSwitch external_ids:system-id from the local
// OVSDB.
func ReadSystemID(ctx context.Context, ovs ovsdbconn.Config) (string, error) {
	m, err := vswitchd.FullDatabaseModel()
	if err != nil {
		return "", err
	}
	c, err := ovs.Connect(ctx, m)
	if err != nil {
		return "", err
	}
	defer c.Close()
	o := &vswitchd.OpenvSwitch{}
	if _, err := c.Monitor(ctx, c.NewMonitor(client.WithTable(o, &o.ExternalIDs))); err != nil {
		return "", err
	}
	var roots []vswitchd.OpenvSwitch
	if err := c.List(ctx, &roots); err != nil {
		return "", err
	}
	if len(roots) == 0 || roots[0].ExternalIDs["system-id"] == "" {
		return "", fmt.Errorf("%s: Open_vSwitch external_ids:system-id is not set", ovs.Endpoints)
	}
	return roots[0].ExternalIDs["system-id"], nil
}
