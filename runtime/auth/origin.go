package auth

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// normalizeOrigin returns origin as scheme://host[:port], lowercased, without the
// scheme's default port; an origin is only that (no path, query or user).
func normalizeOrigin(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want scheme://host[:port] with scheme http or https")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("an origin has no path, query, fragment or user")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// listed reports whether origin is one of Options.CORSOrigins.
func (g *Guard) listed(origin string) bool {
	n, err := normalizeOrigin(origin)
	return err == nil && g.origins[n]
}

// sameOrigin reports whether origin is the server the request reached: its host (and
// port, when the request's Host names one) are the request's Host. The scheme is not
// compared: behind a proxy that terminates TLS the server sees http while the page is
// https.
func sameOrigin(origin string, r *http.Request) bool {
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" and the like
	}
	rh, rp, err := net.SplitHostPort(r.Host)
	if err != nil {
		rh, rp = r.Host, ""
	}
	if !strings.EqualFold(strings.Trim(rh, "[]"), u.Hostname()) {
		return false
	}
	if rp == "" {
		return true
	}
	op := u.Port()
	if op == "" {
		switch u.Scheme {
		case "https":
			op = "443"
		case "http":
			op = "80"
		}
	}
	return op == rp
}

// FrameAncestors returns the CSP frame-ancestors source list allowing the page to be
// embedded by origins (checked and normalized); none: "'none'".
func FrameAncestors(origins []string) (string, error) {
	if len(origins) == 0 {
		return "'none'", nil
	}
	out := []string{"'self'"}
	for _, o := range origins {
		n, err := normalizeOrigin(o)
		if err != nil {
			return "", errors.New("frame ancestor " + short(o) + ": " + err.Error())
		}
		out = append(out, n)
	}
	return strings.Join(out, " "), nil
}
