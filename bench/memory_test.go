package bench_test

import (
	"runtime"
	"testing"
)

// BenchmarkTenantHeap measures what an active tenant keeps in the heap of
// an in-process Lanes: warmed up on the first tenant, then every other
// tenant reads its board and portal, moves a project and starts and stops
// a timer once. It reports the live heap (after a collection) and the
// heap in use per added tenant; the load runner's RSS growth adds the
// heap's headroom to these.
func BenchmarkTenantHeap(b *testing.B) {
	forEachDataset(b, func(b *testing.B, f *fixture) {
		if len(f.manifest.Tenants) < 2 {
			b.Skip("one tenant: none to add")
		}
		g := f.reopen(b, nil) // fresh caches
		for b.Loop() {
			for range 20 {
				g.activate(b, 0)
			}
			before := heapAfterGC()
			for i := 1; i < len(f.manifest.Tenants); i++ {
				g.activate(b, i)
			}
			after := heapAfterGC()
			added := float64(len(f.manifest.Tenants) - 1)
			b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/1024/added, "live-KB/tenant")
			b.ReportMetric((float64(after.HeapInuse)-float64(before.HeapInuse))/1024/added, "inuse-KB/tenant")
		}
	})
}

// activate makes tenant i active: a member's board, move and timer, and a
// customer's portal.
func (f *fixture) activate(b *testing.B, i int) {
	t := f.manifest.Tenants[i]
	tok := f.memberToken(b, t)
	f.serve(b, newRequest(b, tok, "Board", map[string]any{"workflow": "website", "first": boardFirst}))
	f.serve(b, newRequest(b, tok, "MoveProject", map[string]any{"input": map[string]any{"id": t.WebsiteProjects[0], "to": "lead"}}))
	f.serve(b, newRequest(b, tok, "StartTimer", map[string]any{"projectId": t.WebsiteProjects[1]}))
	f.serve(b, newRequest(b, tok, "StopTimer", nil))
	portal := newRequest(b, "", "Portal", nil)
	portal.auth = "Bearer " + t.Portal[0].Token
	f.serve(b, portal)
}

func heapAfterGC() runtime.MemStats {
	runtime.GC()
	runtime.GC() // the second collection frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
