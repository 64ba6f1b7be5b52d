package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// results are one round's measurements: benchmark name (without the
// GOMAXPROCS suffix) → unit → value.
type results map[string]map[string]float64

// suites are the benchmark runs of a round: the packages, the benchmarks
// and the environment they need.
var suites = []struct {
	pkg   string
	bench string
	env   []string
}{
	{"./bench/", ".", nil},
	// The feature decisions with 1,000 and 10,000 tenants holding overrides.
	{"./policies/", "FeatureCheck|RoleAllows", []string{"LANES_BENCH_FULL=1"}},
}

// worstCase are the benchmarks a round skips unless -worstcase: the
// worst-case documents (about a hundred, up to a second each at S) have no
// target and would multiply a round's time.
const worstCase = "^BenchmarkWorstCase$"

// benchArgs are go test's arguments for a suite.
func benchArgs(s settings, pkg, bench string) []string {
	args := []string{"test", "-run", "^$", "-bench", bench, "-benchtime", s.benchtime, "-benchmem", "-timeout", "2h"}
	if !s.worstCase {
		args = append(args, "-skip", worstCase)
	}
	return append(args, pkg)
}

// runRound runs every suite once and parses what it prints.
func runRound(ctx context.Context, s settings) (results, error) {
	out := results{}
	for _, suite := range suites {
		cmd := exec.CommandContext(ctx, "go", benchArgs(s, suite.pkg, suite.bench)...)
		cmd.Env = append(os.Environ(), suite.env...)
		cmd.Env = append(cmd.Env, "LANES_BENCH_SIZES="+s.sizes, "LANES_BENCH_DATABASE_URL="+s.postgres)
		var buf bytes.Buffer
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go test %s: %w", suite.pkg, err)
		}
		if err := parse(&buf, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parse reads go test's benchmark lines:
//
//	BenchmarkBoard/postgres/size=S/lanes-2  300  14742619 ns/op  14539 p50-µs ...
func parse(r io.Reader, into results) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		metrics := map[string]float64{}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return fmt.Errorf("benchmark line %q: %w", sc.Text(), err)
			}
			metrics[fields[i+1]] = v
		}
		into[trimProcs(fields[0])] = metrics
	}
	return sc.Err()
}

// trimProcs drops the "-N" GOMAXPROCS suffix go test adds.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// median returns, for each benchmark and unit, the median over rounds.
func median(rounds []results) results {
	out := results{}
	for name := range rounds[0] {
		out[name] = map[string]float64{}
		for unit := range rounds[0][name] {
			var vs []float64
			for _, r := range rounds {
				if v, ok := r[name][unit]; ok {
					vs = append(vs, v)
				}
			}
			out[name][unit] = medianOf(vs)
		}
	}
	return out
}

func medianOf(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
