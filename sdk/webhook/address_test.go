package webhook

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lanes-dev/lanes/sdk/errcode"
)

// The address rules are tested as functions: no test sends traffic
// anywhere but 127.0.0.1.
func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr             string
		public, loopback bool // allowed without, and with, AllowLoopback
	}{
		{"93.184.215.14", true, true},
		{"2606:4700:4700::1111", true, true},
		{"127.0.0.1", false, true},
		{"127.8.9.10", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"10.0.0.1", false, false},
		{"172.16.5.4", false, false},
		{"192.168.1.1", false, false},
		{"::ffff:10.1.2.3", false, false},
		{"fc00::1", false, false},
		{"fd00:ec2::254", false, false},   // AWS metadata over IPv6
		{"169.254.169.254", false, false}, // cloud metadata
		{"fe80::1", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"0.1.2.3", false, false},
		{"100.64.0.1", false, false},
		{"198.18.0.1", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::a00:1", false, false}, // NAT64 of 10.0.0.1
		{"2001:db8::1", false, false},
	} {
		ip := netip.MustParseAddr(tc.addr)
		require.Equal(t, tc.public, CheckAddr(ip, false) == nil, "%s without loopback", tc.addr)
		require.Equal(t, tc.loopback, CheckAddr(ip, true) == nil, "%s with loopback", tc.addr)
	}
	require.Error(t, CheckAddr(netip.Addr{}, true))
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url              string
		public, loopback bool
	}{
		{"https://hooks.example.com/lanes", true, true},
		{"https://93.184.215.14:8443/x", true, true},
		{"http://hooks.example.com/lanes", false, false},
		{"http://127.0.0.1:9000/hook", false, true},
		{"http://[::1]:9000/hook", false, true},
		{"http://localhost:9000/hook", false, true},
		{"https://127.0.0.1/hook", false, true},
		{"https://localhost/hook", false, true},
		{"https://api.localhost/hook", false, true},
		{"https://10.0.0.5/hook", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://[fe80::1]/hook", false, false},
		{"https://[::ffff:192.168.0.1]/hook", false, false},
		{"http://10.0.0.5/hook", false, false},
		{"https://user:pass@hooks.example.com/", false, false},
		{"ftp://hooks.example.com/", false, false},
		{"hooks.example.com/lanes", false, false},
		{"https:///nohost", false, false},
		{"mailto:a@example.com", false, false},
		{"", false, false},
		{"https://hooks.example.com/\x00", false, false},
	} {
		for allow, want := range map[bool]bool{false: tc.public, true: tc.loopback} {
			_, err := CheckURL("url", tc.url, allow)
			require.Equal(t, want, err == nil, "%q (loopback allowed: %v): %v", tc.url, allow, err)
			if err != nil {
				require.Equal(t, errcode.Validation, errcode.CodeOf(err), tc.url)
			}
		}
	}
}

func TestDialControlChecksTheResolvedAddress(t *testing.T) {
	for _, tc := range []struct {
		address string
		allow   bool
		ok      bool
	}{
		{"127.0.0.1:443", true, true},
		{"127.0.0.1:443", false, false},
		{"[::1]:443", true, true},
		{"10.0.0.1:443", true, false},
		{"169.254.169.254:80", true, false},
		{"93.184.215.14:443", false, true},
		{"not-an-address", true, false},
		{"example.com:443", true, false}, // the dialer hands over addresses, never names
	} {
		err := DialControl(tc.allow)("tcp", tc.address, nil)
		require.Equal(t, tc.ok, err == nil, "%s (loopback %v): %v", tc.address, tc.allow, err)
	}
}

// In a real dialer the check runs after resolution: "localhost" reaches a
// listener on 127.0.0.1 only when loopback is allowed.
func TestDialControlInADialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	for allow, ok := range map[bool]bool{false: false, true: true} {
		d := net.Dialer{Timeout: 5 * time.Second, Control: DialControl(allow)}
		c, err := d.DialContext(context.Background(), "tcp4", net.JoinHostPort("localhost", port))
		require.Equal(t, ok, err == nil, "loopback allowed %v: %v", allow, err)
		if c != nil {
			c.Close()
		}
	}
}
