package sdk_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanes-dev/lanes/sdk"
	"github.com/lanes-dev/lanes/sdk/lanestest"
	"github.com/lanes-dev/lanes/sdk/sdktest"
	"github.com/lanes-dev/lanes/tenant/auth"
)

// envChildDatabase makes the test binary a Lanes server on that database
// instead of running tests: fault tests kill it.
const envChildDatabase = "LANES_TEST_CHILD_DATABASE"

func TestMain(m *testing.M) {
	if url := os.Getenv(envChildDatabase); url != "" {
		if err := serveChild(url); err != nil {
			fmt.Fprintln(os.Stderr, "child server:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// serveChild serves Lanes on 127.0.0.1 with the test credentials and
// prints its address, until it is killed.
func serveChild(url string) error {
	dir := os.Getenv("LANES_TEST_CHILD_DIR")
	l, err := sdk.Open(context.Background(), sdk.Config{
		DatabaseURL:          url,
		DataDir:              dir,
		BlobURL:              "file://" + filepath.ToSlash(dir),
		PlatformKey:          sdktest.PlatformKey,
		JWT:                  auth.JWTConfig{Secret: []byte(sdktest.JWTSecret)},
		RateLimit:            -1,
		WebhookAllowLoopback: true,
		WebhookRetryMin:      50 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	return http.Serve(ln, l.Handler())
}

// child is a Lanes server in another process.
type child struct {
	cmd *exec.Cmd
	// Platform acts as the platform on it.
	Platform lanestest.Client
}

// startChild runs a Lanes server process on the database.
func startChild(t *testing.T, databaseURL, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildDatabase+"="+databaseURL, "LANES_TEST_CHILD_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	addr := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "listening "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		anon := lanestest.Client{URL: "http://" + a + sdk.GraphQLPath}
		return &child{cmd: cmd, Platform: anon.With(auth.HeaderAPIKey, sdktest.PlatformKey)}
	case <-time.After(time.Minute):
		t.Fatal("the child server did not start")
		return nil
	}
}

// kill ends the process at once: no shutdown, no deferred work.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}
