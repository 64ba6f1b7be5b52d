package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/lanes-dev/lanes/bench/dataset"
	"github.com/lanes-dev/lanes/bench/internal/machine"
)

// serverPackage is the command under load; building it by import path
// works from any directory of the module.
const serverPackage = "github.com/lanes-dev/lanes/server"

const (
	readyTimeout = time.Minute
	// stopTimeout exceeds the server's own shutdown grace period (20 s).
	stopTimeout = 30 * time.Second
	// clockTicksPerSecond is USER_HZ, the unit of the CPU times in
	// /proc/<pid>/stat: 100 on Linux (sysconf(_SC_CLK_TCK) would need cgo).
	clockTicksPerSecond = 100
)

// buildServer compiles the server into dir and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "lanes-server")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, serverPackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", serverPackage, err, out)
	}
	return bin, nil
}

// server is a running server process.
type server struct {
	cmd *exec.Cmd
	url string
	// transport keeps a connection per client open across attacks, as
	// vegeta's own does (Go's default keeps two idle ones per host).
	transport *http.Transport
	logPath   string
	exited    chan struct{}
	waitErr   error // set before exited is closed
}

// startServer starts the binary on a free loopback port, serving the
// manifest's database with its credentials, and waits until it is ready.
// Its output goes to a log in a data directory of its own under dir.
func startServer(ctx context.Context, bin, dir string, m *dataset.Manifest) (*server, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp(dir, "data-")
	if err != nil {
		return nil, fmt.Errorf("server data directory: %w", err)
	}
	logPath := filepath.Join(dataDir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"LANES_DATABASE_URL="+m.DatabaseURL,
		"LANES_PLATFORM_KEY="+m.PlatformKey,
		"LANES_JWT_SECRET="+m.JWTSecret,
		"LANES_ADDR="+addr,
		"LANES_DATA_DIR="+dataDir,
		"LANES_RATE_LIMIT=-1", // the load sends far more than a client may
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &server{
		cmd:       cmd,
		url:       "http://" + addr,
		transport: &http.Transport{MaxIdleConnsPerHost: vegeta.DefaultConnections},
		logPath:   logPath,
		exited:    make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.awaitReady(ctx); err != nil {
		_ = s.stop() // its error would repeat the log below
		return nil, fmt.Errorf("%w\n%s", err, s.logTail())
	}
	return s, nil
}

// freeLoopbackAddr returns a loopback address with a port free right now
// (another process could take it before the server does; unlikely).
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// awaitReady polls /readyz until it answers 200.
func (s *server) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.ready(ctx, &client) {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before it was ready: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("server not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func (s *server) ready(ctx context.Context, client *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop ends the server with SIGTERM (killing it if it outlasts
// stopTimeout) and waits for it to exit.
func (s *server) stop() error {
	s.transport.CloseIdleConnections()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop server: %w", err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("kill server: %w", err)
		}
		<-s.exited
		return fmt.Errorf("server did not stop within %s and was killed", stopTimeout)
	}
	if s.waitErr != nil {
		return fmt.Errorf("server: %w\n%s", s.waitErr, s.logTail())
	}
	return nil
}

// logTail is the end of the server's output, for error messages.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	return string(b[max(0, len(b)-2000):])
}

// cpuTime is the CPU time the server has used so far (user and system).
func (s *server) cpuTime() (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	ticks, err := parseCPUTicks(string(stat))
	if err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	return time.Duration(ticks) * time.Second / clockTicksPerSecond, nil
}

// rssKB is the server's resident set size in KiB.
func (s *server) rssKB() (uint64, error) {
	r, err := s.resident()
	return r.totalKB, err
}

// residentMemory is a process's resident memory in KiB: anonymous (heap,
// stacks, SQLite's page cache) and file-backed (the executable's pages,
// shared with every process running it and reclaimable).
type residentMemory struct{ totalKB, anonKB, fileKB uint64 }

func (s *server) resident() (residentMemory, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return residentMemory{}, fmt.Errorf("server RSS: %w", err)
	}
	var r residentMemory
	for _, f := range []struct {
		key string
		kb  *uint64
	}{{"VmRSS", &r.totalKB}, {"RssAnon", &r.anonKB}, {"RssFile", &r.fileKB}} {
		if *f.kb, err = machine.KB(string(status), f.key); err != nil {
			return residentMemory{}, fmt.Errorf("server RSS: %w", err)
		}
	}
	return r, nil
}

// parseCPUTicks returns utime + stime (fields 14 and 15) of a
// /proc/<pid>/stat line. Fields are counted from the last ')': the command
// name before it (field 2) may hold spaces and parentheses.
func parseCPUTicks(stat string) (uint64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}
	fields := strings.Fields(stat[end+1:]) // from field 3
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("short stat line %q", stat)
	}
	var total uint64
	for _, f := range []string{fields[utime], fields[stime]} {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("CPU ticks: %w", err)
		}
		total += n
	}
	return total, nil
}
