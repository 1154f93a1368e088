package source

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// LoadCredentials reads the named secrets of a live source, never from a command-line
// flag (where every user of the machine can read them in the process list): from file
// when it is not empty, else from the environment. The file holds NAME=VALUE lines (blank
// lines and # comments allowed, a value may be quoted) and must not be readable by group
// or others. Every name must be set and not empty; the result is in the order of names.
//
//	user, secret := source.LoadCredentials("/etc/statkit/ami.env", "STATKIT_AMI_USERNAME", "STATKIT_AMI_SECRET")
func LoadCredentials(file string, names ...string) ([]string, error) {
	vals := map[string]string{}
	if file != "" {
		fi, err := os.Stat(file)
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("credentials file %s is readable by others (mode %v); chmod 600 it", file, fi.Mode().Perm())
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			if !ok {
				return nil, fmt.Errorf("credentials file %s:%d: want NAME=VALUE", file, n)
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			vals[strings.TrimSpace(k)] = v
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		v, ok := vals[n]
		if file == "" {
			v, ok = os.LookupEnv(n)
		}
		if !ok || v == "" {
			where := "the environment"
			if file != "" {
				where = file
			}
			return nil, fmt.Errorf("credentials: %s is not set in %s", n, where)
		}
		out[i] = v
	}
	return out, nil
}
