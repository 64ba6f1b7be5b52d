package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkBoard/postgres/size=S/lanes-2          300  14742619 ns/op  14539 p50-µs  22950 p99-µs  5.000 stmts/op  4043778 B/op  68843 allocs/op
BenchmarkBoard/postgres/size=S/pgx-reference-2  300   5639069 ns/op   4840 p50-µs  14852 p99-µs  362709 B/op  6605 allocs/op
BenchmarkMoveProject/postgres/size=S/lanes/serial-2  1000  2000000 ns/op  1900 p50-µs  4000 p99-µs  3.9 stmts/op  6.9 roundtrips/op  80000 B/op  1400 allocs/op
BenchmarkBoardAuthorization/postgres/size=S/interleaved-2  100  20000000 ns/op  10300 casbin-p50-µs  10000 none-p50-µs
BenchmarkRoleAllowsMemoised-2  1000000  28.5 ns/op  0 B/op  0 allocs/op
PASS
`

func TestParse(t *testing.T) {
	r := results{}
	require.NoError(t, parse(strings.NewReader(sample), r))
	require.Len(t, r, 5)
	require.Equal(t, 5.0, r["BenchmarkBoard/postgres/size=S/lanes"]["stmts/op"])
	require.Equal(t, 28.5, r["BenchmarkRoleAllowsMemoised"]["ns/op"])
	require.Error(t, parse(strings.NewReader("BenchmarkX-2 10 fast ns/op\n"), results{}))
}

func TestMedianOverRounds(t *testing.T) {
	rounds := []results{
		{"B": {"ns/op": 30}}, {"B": {"ns/op": 10}}, {"B": {"ns/op": 20}},
	}
	require.Equal(t, 20.0, median(rounds)["B"]["ns/op"])
	require.Equal(t, 15.0, medianOf([]float64{10, 20}))
}

func TestEvaluate(t *testing.T) {
	r := results{}
	require.NoError(t, parse(strings.NewReader(sample), r))
	checks := evaluate(r, []string{"S"})
	byTarget := map[string]check{}
	for _, c := range checks {
		byTarget[c.Target] = c
	}
	stmts := byTarget["Board SQL statements per request (credential cached)"]
	require.True(t, stmts.Met)
	ratio := byTarget["Board throughput over the one-statement pgx reference"]
	require.InDelta(t, 5639069.0/14742619.0, ratio.Value, 1e-9)
	require.False(t, ratio.Met, "0.38 < 0.6")
	require.True(t, byTarget["Memoised role decision"].Met)
	authz := byTarget["Board with authorization over without (p50, interleaved)"]
	require.InDelta(t, 1.03, authz.Value, 1e-9)
	require.True(t, authz.Met)
	trips := byTarget["moveProject database round trips (statements, BEGIN, COMMIT)"]
	require.Equal(t, 6.9, trips.Value)
	require.False(t, trips.Met, "6.9 round trips > 6")
	require.NotContains(t, byTarget, "timeReport (STATUS x MEMBER) over the raw GROUP BY", "no time report measured")

	md := report{Settings: map[string]string{"rounds": "3"}, Medians: r, Targets: checks}.markdown()
	require.Contains(t, md, "| Board throughput over the one-statement pgx reference | postgres | S | 0.38× | ≥ 0.60× | **no** |")
}

// A round skips the worst-case documents unless asked for them.
func TestBenchArgsSkipWorstCase(t *testing.T) {
	args := benchArgs(settings{benchtime: "2s"}, "./bench/", ".")
	require.Equal(t, []string{"test", "-run", "^$", "-bench", ".", "-benchtime", "2s", "-benchmem", "-timeout", "2h", "-skip", "^BenchmarkWorstCase$", "./bench/"}, args)
	args = benchArgs(settings{benchtime: "2s", worstCase: true}, "./bench/", ".")
	require.NotContains(t, args, "-skip")
}
