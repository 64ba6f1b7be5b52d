// Package machine describes the machine benchmarks ran on and reads the
// Linux /proc files they measure with.
package machine

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what results are published with.
type Machine struct {
	OS            string  `json:"goos"`
	Arch          string  `json:"goarch"`
	CPUs          int     `json:"num_cpu"`
	CPUModel      string  `json:"cpu_model"`
	MemoryTotalMB float64 `json:"memory_total_mb"`
	GoVersion     string  `json:"go_version"`
}

// Describe describes this machine, as far as /proc tells (the fields stay
// empty elsewhere).
func Describe() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if cpuinfo, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel, _ = Field(string(cpuinfo), "model name")
	}
	if meminfo, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := KB(string(meminfo), "MemTotal"); err == nil {
			m.MemoryTotalMB = float64(kb) / 1024
		}
	}
	return m
}

// String is the machine in one line.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d CPUs, %.0f MB memory, %s/%s, %s", m.CPUModel, m.CPUs, m.MemoryTotalMB, m.OS, m.Arch, m.GoVersion)
}

// KB returns the value of a "Key:   1234 kB" line of a /proc file such as
// /proc/<pid>/status or /proc/meminfo.
func KB(text, key string) (uint64, error) {
	value, ok := Field(text, key)
	if !ok {
		return 0, fmt.Errorf("no %s", key)
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(value, " kB"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return n, nil
}

// Field returns the value of the first "key: value" line of a /proc file
// (the key may be padded before the colon, as in /proc/cpuinfo).
func Field(text, key string) (string, bool) {
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
