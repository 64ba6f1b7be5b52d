// Package webhook manages a tenant's webhook endpoints (Standard Webhooks)
// and decides where deliveries may go.
package webhook

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/lanes-dev/lanes/sdk/errcode"
	"github.com/lanes-dev/lanes/sdk/internal/validate"
)

// refusedPrefixes are ranges no delivery goes to besides what netip
// classifies (private, loopback, link-local, multicast, unspecified):
// "this network", shared address space (carrier NAT), IETF protocol
// assignments, benchmarking, reserved and broadcast, and IPv6's NAT64,
// discard and documentation ranges. Cloud metadata endpoints
// (169.254.169.254, fd00:ec2::254) are link-local or private.
var refusedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// CheckAddr refuses an address a webhook must not reach: private,
// link-local (metadata services), multicast, unspecified and reserved
// ranges, and loopback unless allowLoopback (development and tests).
// IPv4 addresses written as IPv6 (::ffff:10.0.0.1) are judged as IPv4.
func CheckAddr(ip netip.Addr, allowLoopback bool) error {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return fmt.Errorf("not an IP address")
	case ip.IsLoopback():
		if allowLoopback {
			return nil
		}
		return fmt.Errorf("%s is a loopback address", ip)
	case ip.IsPrivate():
		return fmt.Errorf("%s is a private address", ip)
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return fmt.Errorf("%s is a link-local address", ip)
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("%s is a multicast address", ip)
	case ip.IsUnspecified():
		return fmt.Errorf("%s is unspecified", ip)
	}
	for _, p := range refusedPrefixes {
		if p.Contains(ip) {
			return fmt.Errorf("%s is a reserved address", ip)
		}
	}
	return nil
}

// CheckURL checks a webhook URL when it is registered: https://, or
// http:// to a loopback address when allowLoopback; no credentials in it;
// and a host that names an address must pass CheckAddr. Names are
// resolved, and checked again, at delivery (DialControl).
func CheckURL(field, raw string, allowLoopback bool) (*url.URL, error) {
	if err := validate.Text(field, raw, validate.MaxURL); err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, errcode.Invalid(field, field+" must be an absolute https:// URL")
	}
	if u.User != nil {
		return nil, errcode.Invalid(field, field+" must not hold credentials")
	}
	host := u.Hostname()
	ip, parseErr := netip.ParseAddr(host)
	isIP := parseErr == nil
	loopbackName := strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")
	switch u.Scheme {
	case "https":
	case "http":
		if !allowLoopback || !(isIP && ip.Unmap().IsLoopback() || loopbackName) {
			return nil, errcode.Invalid(field, field+" must be https:// (http:// only to a loopback address with LANES_WEBHOOK_ALLOW_LOOPBACK)")
		}
	default:
		return nil, errcode.Invalid(field, field+" must be an https:// URL")
	}
	if loopbackName && !allowLoopback {
		return nil, errcode.Invalid(field, field+" names a loopback host")
	}
	if isIP {
		if err := CheckAddr(ip, allowLoopback); err != nil {
			return nil, errcode.Invalid(field, field+" is refused: "+err.Error())
		}
	}
	return u, nil
}

// DialControl is a net.Dialer's Control for deliveries: it refuses every
// connection to an address CheckAddr refuses, after name resolution, so
// that a name that resolves (or re-resolves) to an internal address
// reaches nothing.
func DialControl(allowLoopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("webhook: dial %s: %w", address, err)
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("webhook: dial %s: %w", address, err)
		}
		if err := CheckAddr(ip, allowLoopback); err != nil {
			return fmt.Errorf("webhook: refused to connect: %w", err)
		}
		return nil
	}
}
