package machine

import "testing"

func TestParseKB(t *testing.T) {
	status := "Name:\tlanes-server\nVmPeak:\t 1300000 kB\nVmRSS:\t   81234 kB\nThreads:\t9\n"
	if got, err := KB(status, "VmRSS"); err != nil || got != 81234 {
		t.Errorf("KB(status, VmRSS) = %d, %v; want 81234", got, err)
	}
	meminfo := "MemTotal:       24684088 kB\nMemFree:        22234560 kB\n"
	if got, err := KB(meminfo, "MemTotal"); err != nil || got != 24684088 {
		t.Errorf("KB(meminfo, MemTotal) = %d, %v; want 24684088", got, err)
	}
	if _, err := KB(status, "VmSwap"); err == nil {
		t.Error("parseKB found a missing key")
	}
}

func TestFieldWithPaddedKey(t *testing.T) {
	cpuinfo := "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu\n"
	if got, ok := Field(cpuinfo, "model name"); !ok || got != "AMD EPYC 7B13" {
		t.Errorf("Field(cpuinfo, model name) = %q, %v", got, ok)
	}
}
