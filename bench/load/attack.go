package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// closedLoop paces an attack by its clients alone: each sends its next
// request as soon as its previous one has answered.
var closedLoop = vegeta.Rate{Freq: 0}

// requestCount is closedLoop ending after that many requests.
type requestCount uint64

func (n requestCount) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= uint64(n)
}

// Rate is unknown beforehand: a closed loop goes as fast as the server answers.
func (requestCount) Rate(time.Duration) float64 { return 0 }

// requestTimeout fails a request rather than stalling a client for good.
const requestTimeout = 30 * time.Second

// maxErrorSamples is how many distinct error messages a tally keeps.
const maxErrorSamples = 5

// attack runs w against srv with that many closed-loop clients until pacer
// stops or d has passed (d = 0: no time limit), and tallies the responses.
func attack(ctx context.Context, srv *server, w *workload, clients int, pacer vegeta.Pacer, d time.Duration) *tally {
	attacker := vegeta.NewAttacker(
		vegeta.Workers(uint64(clients)),
		vegeta.MaxWorkers(uint64(clients)),
		vegeta.Client(&http.Client{Timeout: requestTimeout, Transport: leaseReturner{workload: w, next: srv.transport}}),
	)
	stopOnCancel := context.AfterFunc(ctx, func() { attacker.Stop() })
	defer stopOnCancel()
	var t tally
	started := time.Now()
	for res := range attacker.Attack(w.targeter(srv.url), pacer, d, w.name) {
		t.add(res)
	}
	t.elapsed = time.Since(started)
	return &t
}

// tally collects the outcome of an attack.
type tally struct {
	latencies    []time.Duration
	errors       int
	errorSamples []string
	elapsed      time.Duration
}

func (t *tally) add(res *vegeta.Result) {
	t.latencies = append(t.latencies, res.Latency)
	msg := responseError(res)
	if msg == "" {
		return
	}
	t.errors++
	if len(t.errorSamples) < maxErrorSamples && !slices.Contains(t.errorSamples, msg) {
		t.errorSamples = append(t.errorSamples, msg)
	}
}

// metrics summarises the tally with the server's CPU time and RSS.
func (t *tally) metrics(serverCPU time.Duration, rssKB uint64) metrics {
	sorted := slices.Clone(t.latencies)
	slices.Sort(sorted)
	n := float64(len(sorted))
	m := metrics{
		Requests:         n,
		Errors:           float64(t.errors),
		Throughput:       n / t.elapsed.Seconds(),
		P50Ms:            milliseconds(percentile(sorted, 0.50)),
		P90Ms:            milliseconds(percentile(sorted, 0.90)),
		P99Ms:            milliseconds(percentile(sorted, 0.99)),
		ServerCPUSeconds: serverCPU.Seconds(),
		ServerCPUCores:   serverCPU.Seconds() / t.elapsed.Seconds(),
		RSSMB:            float64(rssKB) / 1024,
	}
	if n > 0 {
		m.ErrorRate = m.Errors / n
		m.ServerCPUMsPerRequest = milliseconds(serverCPU) / n
	}
	return m
}

// responseError tells why a response is an error ("" if it is not): no
// response, an HTTP status other than 200, or GraphQL errors in the body.
func responseError(res *vegeta.Result) string {
	switch {
	case res.Code == 0:
		return res.Error
	case res.Code != http.StatusOK:
		return fmt.Sprintf("HTTP %d: %s", res.Code, bytes.TrimSpace(res.Body[:min(len(res.Body), 200)]))
	case res.Error != "":
		return res.Error
	case !bytes.Contains(res.Body, []byte(`"errors"`)):
		// Most responses: spare the client (and so the server, on the same
		// cores) decoding them.
		return ""
	}
	var body struct {
		Errors []struct {
			Message    string `json:"message"`
			Path       []any  `json:"path"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		return fmt.Sprintf("undecodable response: %v", err)
	}
	if len(body.Errors) == 0 {
		return ""
	}
	e := body.Errors[0]
	return fmt.Sprintf("%v: %s (%s)", e.Path, e.Message, e.Extensions.Code)
}

// percentile returns the q-quantile (0 < q <= 1) of sorted values by the
// nearest-rank method: the smallest value at least q of all values do not
// exceed. It is 0 for no values.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// median returns the median of values: the middle one, or the mean of the
// two middle ones. It is 0 for no values.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
