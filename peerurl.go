package forewarn

import (
	"net"
	"net/url"
)

// CheckPeerURL says whether a peer's base URL may be used: https anywhere, http only on
// loopback unless allowInsecure, nothing else (no javascript:, no file:). The CLI, the API
// and the delivery client all apply this one rule.
func CheckPeerURL(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return Invalid("base_url", "url", "%q is not an absolute URL like https://forewarn.example.org", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowInsecure || isLoopbackHost(u.Hostname()) {
			return nil
		}
		return Invalid("base_url", "https", "%s is plain HTTP to a host that is not loopback; use https, or allow it explicitly with --allow-insecure-http", raw)
	}
	return Invalid("base_url", "scheme", "%q must use https (or http on loopback)", raw)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
