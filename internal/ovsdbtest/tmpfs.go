package ovsdbtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// OnTmpfs puts each member's database file on a tmpfs of its own of the
// given size, so a test can fill it (Member.FillDisk) and see the server's
// commits fail with a real I/O error. It needs root (mount); without it
// the test is skipped, or fails under CI=true.
func OnTmpfs(size int64) Option { return func(c *config) { c.tmpfs = size } }

// mountData mounts a tmpfs at the member's data directory.
func (m *Member) mountData(size int64) error {
	dir := filepath.Join(m.Dir, "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		return fmt.Errorf("mount tmpfs at %s: %w", dir, err)
	}
	m.dataMount = dir
	m.DBFile = filepath.Join(dir, "db.db")
	return nil
}

// unmountData undoes mountData (the server must be stopped).
func (m *Member) unmountData() {
	if m.dataMount != "" {
		_ = syscall.Unmount(m.dataMount, syscall.MNT_DETACH)
		m.dataMount = ""
	}
}

// FillDisk fills the member's tmpfs (OnTmpfs) so that the server's next
// write fails; FreeDisk gives the space back.
func (m *Member) FillDisk() error {
	if m.dataMount == "" {
		return errors.New("member has no tmpfs (use OnTmpfs)")
	}
	f, err := os.Create(filepath.Join(m.dataMount, "filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			return err
		}
	}
	// Take the last bytes too: a small write could still fit otherwise.
	for _, n := range []int{4096, 512, 64, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	return nil
}

// FreeDisk removes what FillDisk wrote.
func (m *Member) FreeDisk() error {
	if m.dataMount == "" {
		return errors.New("member has no tmpfs (use OnTmpfs)")
	}
	return os.Remove(filepath.Join(m.dataMount, "filler"))
}
