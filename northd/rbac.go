package northd

import (
	"maps"
	"slices"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// rbac makes the chassis role (sbkeys.ChassisRole) and its permissions
// exactly sbkeys.RBACPermissions: one RBAC_Role row of that name whose
// permissions map each table to its RBAC_Permission row. When anything
// differs, the role rows of that name and the permission rows they name
// are replaced as a whole (a rare write: a first start, or another
// writer's change). Roles of other names, and permission rows no role of
// ours names, are an operator's and left alone.
func (d *sbDiff) rbac(cur *SBState) error {
	perms := make(map[string]*sbdb.RBACPermission, len(cur.Permissions))
	for i := range cur.Permissions {
		perms[cur.Permissions[i].UUID] = &cur.Permissions[i]
	}
	var ours []sbdb.RBACRole
	for _, r := range cur.Roles {
		if r.Name == sbkeys.ChassisRole {
			ours = append(ours, r)
		}
	}
	if len(ours) == 1 && rolesMatch(ours[0], perms) {
		return nil
	}
	deleted := map[string]bool{}
	for _, r := range ours {
		if err := d.add(sbdb.RBACRoleTable, ovsdbops.Delete(sbdb.RBACRoleTable, r.UUID), nil); err != nil {
			return err
		}
		for _, u := range slices.Sorted(maps.Values(r.Permissions)) {
			if perms[u] != nil && !deleted[u] {
				deleted[u] = true
				if err := d.add(sbdb.RBACPermissionTable, ovsdbops.Delete(sbdb.RBACPermissionTable, u), nil); err != nil {
					return err
				}
			}
		}
	}
	refs := map[any]any{}
	for _, p := range sbkeys.RBACPermissions {
		name := d.name("perm")
		refs[p.Table] = ovsdb.UUID{GoUUID: name}
		op := ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sbdb.RBACPermissionTable, UUIDName: name, Row: ovsdb.Row{
			"table": p.Table, "authorization": stringSet(p.Authorization),
			"insert_delete": p.InsertDelete, "update": stringSet(p.Update)}}
		if err := d.add(sbdb.RBACPermissionTable, op, nil); err != nil {
			return err
		}
	}
	return d.add(sbdb.RBACRoleTable, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sbdb.RBACRoleTable, UUIDName: d.name("role"),
		Row: ovsdb.Row{"name": sbkeys.ChassisRole, "permissions": ovsdb.OvsMap{GoMap: refs}}}, nil)
}

// rolesMatch reports whether role r grants exactly sbkeys.RBACPermissions.
func rolesMatch(r sbdb.RBACRole, perms map[string]*sbdb.RBACPermission) bool {
	if len(r.Permissions) != len(sbkeys.RBACPermissions) {
		return false
	}
	for _, w := range sbkeys.RBACPermissions {
		p := perms[r.Permissions[w.Table]]
		if p == nil || p.Table != w.Table || p.InsertDelete != w.InsertDelete ||
			!sameSet(p.Authorization, w.Authorization) || !sameSet(p.Update, w.Update) {
			return false
		}
	}
	return true
}

func stringSet(xs []string) ovsdb.OvsSet {
	set := make([]any, len(xs))
	for i, x := range xs {
		set[i] = x
	}
	return ovsdb.OvsSet{GoSet: set}
}
