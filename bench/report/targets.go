package main

import (
	"fmt"
	"slices"
)

// check is one target against what was measured.
type check struct {
	Target   string  `json:"target"`
	Database string  `json:"database"`
	Size     string  `json:"size,omitempty"`
	Value    float64 `json:"value"`
	Limit    float64 `json:"limit"`
	// AtMost: the value must not exceed the limit; else reach it.
	AtMost bool   `json:"atMost"`
	Met    bool   `json:"met"`
	Unit   string `json:"unit"`
}

func newCheck(target, db, size string, value, limit float64, atMost bool, unit string) check {
	met := value >= limit
	if atMost {
		met = value <= limit
	}
	return check{Target: target, Database: db, Size: size, Value: value, Limit: limit, AtMost: atMost, Met: met, Unit: unit}
}

// evaluate checks the medians against the targets, for each
// database and size that was measured. A target whose benchmarks are
// missing (PostgreSQL references without PostgreSQL) is left out.
func evaluate(m results, sizes []string) []check {
	var out []check
	for _, db := range []string{"sqlite", "postgres"} {
		for _, size := range sizes {
			out = append(out, perSize(m, db, size)...)
		}
		if slices.Contains(sizes, "S") && slices.Contains(sizes, "L") {
			out = appendRatio(out, m, "Board p50, 10,000 projects per tenant (L) over 1,000 (S)", db, "L/S",
				board(db, "L", "lanes"), board(db, "S", "lanes"), "p50-µs", 1.5, true)
		}
		out = append(out, decisions(m, db)...)
	}
	if v, ok := m["BenchmarkRoleAllowsMemoised"]; ok {
		out = append(out, newCheck("Memoised role decision", "any", "", v["ns/op"], 200, true, "ns"),
			newCheck("Memoised role decision allocations", "any", "", v["allocs/op"], 0, true, "allocs"))
	}
	return out
}

func board(db, size, variant string) string {
	return fmt.Sprintf("BenchmarkBoard/%s/size=%s/%s", db, size, variant)
}

func bench(name, db, size, variant string) string {
	return fmt.Sprintf("Benchmark%s/%s/size=%s/%s", name, db, size, variant)
}

// perSize checks one dataset size. The statement counts hold at any size;
// the ratios are the for the sizes S and L (the tiny dataset of CI
// runs is all fixed costs).
func perSize(m results, db, size string) []check {
	var out []check
	out = appendValue(out, m, "Board SQL statements per request (credential cached)", db, size, board(db, size, "lanes"), "stmts/op", 6, true)
	out = appendValue(out, m, "moveProject database round trips (statements, BEGIN, COMMIT)", db, size, bench("MoveProject", db, size, "lanes/serial"), "roundtrips/op", 6, true)
	if size != "S" && size != "L" {
		return out
	}
	out = appendRatio(out, m, "Board throughput over the one-statement pgx reference", db, size,
		board(db, size, "pgx-reference"), board(db, size, "lanes"), "ns/op", 0.6, false)
	out = appendRatio(out, m, "moveProject throughput (8 clients) over the raw pgx transaction", db, size,
		bench("MoveProject", db, size, "lanes/clients=8"), bench("MoveProject", db, size, "pgx-reference/clients=8"), "ops/s", 0.5, false)
	out = appendRatio(out, m, "moveProject p99 (8 clients) over the raw pgx transaction's", db, size,
		bench("MoveProject", db, size, "lanes/clients=8"), bench("MoveProject", db, size, "pgx-reference/clients=8"), "p99-µs", 3, true)
	out = appendUnitRatio(out, m, "Board with authorization over without (p50, interleaved)", db, size,
		bench("BoardAuthorization", db, size, "interleaved"), "casbin-p50-µs", "none-p50-µs", 1.05, true)
	out = appendRatio(out, m, "timeReport (STATUS x MEMBER) over the raw GROUP BY", db, size,
		bench("TimeReport", db, size, "lanes"), bench("TimeReport", db, size, "pgx-reference"), "ns/op", 1.3, true)
	return out
}

// decisions checks the feature decisions of the policies benchmarks.
func decisions(m results, db string) []check {
	var out []check
	name := func(tenants int, kind string) string {
		return fmt.Sprintf("BenchmarkFeatureCheck/tenants=%d/%s/%s", tenants, db, kind)
	}
	for _, tenants := range []int{10, 1_000, 10_000} {
		size := fmt.Sprintf("%d tenants", tenants)
		out = appendValue(out, m, "Memoised feature decision", db, size, name(tenants, "memoised"), "ns/op", 200, true)
		out = appendValue(out, m, "Memoised feature decision allocations", db, size, name(tenants, "memoised"), "allocs/op", 0, true)
	}
	return appendRatio(out, m, "Uncached feature decision, 10,000 tenants over 10", db, "",
		name(10_000, "uncached"), name(10, "uncached"), "ns/op", 2, true)
}

func appendValue(out []check, m results, target, db, size, name, unit string, limit float64, atMost bool) []check {
	v, ok := m[name][unit]
	if !ok {
		return out
	}
	return append(out, newCheck(target, db, size, v, limit, atMost, unit))
}

// appendUnitRatio checks the ratio of two metrics of one benchmark.
func appendUnitRatio(out []check, m results, target, db, size, name, num, den string, limit float64, atMost bool) []check {
	return appendQuotient(out, m, target, db, size, metric{name, num}, metric{name, den}, limit, atMost)
}

// appendRatio checks num/den of one unit.
func appendRatio(out []check, m results, target, db, size, num, den, unit string, limit float64, atMost bool) []check {
	return appendQuotient(out, m, target, db, size, metric{num, unit}, metric{den, unit}, limit, atMost)
}

// metric names one measurement: a benchmark and a unit.
type metric struct{ bench, unit string }

// appendQuotient checks num/den, unless one of them was not measured.
func appendQuotient(out []check, m results, target, db, size string, num, den metric, limit float64, atMost bool) []check {
	n, ok1 := m[num.bench][num.unit]
	d, ok2 := m[den.bench][den.unit]
	if !ok1 || !ok2 || d == 0 {
		return out
	}
	return append(out, newCheck(target, db, size, n/d, limit, atMost, "×"))
}
