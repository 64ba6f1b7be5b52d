package lanestest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Cluster is a PostgreSQL server of the test's own (initdb in a temporary
// directory, on a free port of 127.0.0.1), for fault tests that restart
// it: never the shared server.
type Cluster struct {
	// URL opens its postgres database.
	URL  string
	dir  string
	bin  string
	port int
	t    testing.TB
}

// PrivatePostgres starts a cluster that stops with the test. Without
// PostgreSQL's programs, or without LANES_TEST_DATABASE_URL (the switch of
// every PostgreSQL test), the test is skipped (fails with
// LANES_REQUIRE_POSTGRES=1).
func PrivatePostgres(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(EnvPostgresURL) == "" {
		missingPostgres(t, EnvPostgresURL+" is not set")
	}
	bin := postgresBin()
	if bin == "" {
		missingPostgres(t, "initdb and pg_ctl are not installed")
	}
	dir, err := os.MkdirTemp("", "lanes-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	c := &Cluster{dir: filepath.Join(dir, "data"), bin: bin, port: port, t: t,
		URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "--no-sync")
	c.pgctl("start", "-w", "-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir))
	t.Cleanup(func() { c.pgctl("stop", "-m", "immediate") })
	return c
}

// Restart stops the server (closing every connection) and starts it again.
func (c *Cluster) Restart() {
	c.t.Helper()
	c.pgctl("restart", "-m", "fast", "-w")
}

func (c *Cluster) pgctl(args ...string) {
	c.t.Helper()
	c.run("pg_ctl", append([]string{"-D", c.dir, "-l", filepath.Join(filepath.Dir(c.dir), "log")}, args...)...)
}

// run runs one of PostgreSQL's programs, as the postgres user when the
// test runs as root (PostgreSQL refuses root).
func (c *Cluster) run(program string, args ...string) {
	c.t.Helper()
	path := filepath.Join(c.bin, program)
	cmd := exec.Command(path, args...)
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		pg, err := user.Lookup("postgres")
		if err != nil {
			c.t.Fatalf("running as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		if err := os.MkdirAll(c.dir, 0o700); err == nil {
			gid, _ := strconv.Atoi(pg.Gid)
			_ = os.Chown(c.dir, uid, gid)
		}
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("%s %v: %v\n%s", program, args, err, out)
	}
}

// postgresBin is the newest installed PostgreSQL's program directory.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}
