//go:build unix

package queuelog

import (
	"os"
	"syscall"
)

// identity returns the device and inode of a file: what stays the same when it is renamed
// by a rotation and changes when a new file takes its name.
func identity(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino) //nolint:unconvert // the field types differ by platform
	}
	return 0, 0
}
