package auth

import (
	"net"
	"strings"
)

// DefaultAddr is where statkit serve listens without --addr: this machine only.
const DefaultAddr = "127.0.0.1:8080"

// Loopback reports whether listen address addr (host:port) reaches this machine only:
// a loopback IP or "localhost". An empty host, an unspecified address (0.0.0.0, ::) or
// any other name listens beyond the machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localHost reports whether a request's Host names this machine: localhost, a name
// under .localhost, or a loopback address (any port).
func localHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
