package cluster

import (
	"bytes"
	"os"
	"testing"
)

// FuzzCacheRead: whatever bytes a cached snapshot's file holds, read never panics and
// returns a payload only when the file is one write made (its header, length and
// checksum all agree).
func FuzzCacheRead(f *testing.F) {
	dir := f.TempDir()
	c, err := openCache(dir, "fuzz", 2, logger(f, "fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	if err := c.write(7, []byte("payload"), nil); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(c.path(7))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte(cacheMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(c.path(7), b, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := c.read(7)
		if err != nil {
			return
		}
		if err := c.write(7, p, nil); err != nil {
			t.Fatal(err)
		}
		again, err := os.ReadFile(c.path(7))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %q, which is not what writing its payload makes", b)
		}
	})
}
