package fixtures

import (
	"context"
	"fmt"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// BenchmarkLoadNB pre-builds NBs of 10k and 100k VM ports (10 routers x 50
// subnets x 20 or 200 ports) in a fresh single-node RAFT NB per iteration,
// in DefaultChunkRows transactions. Reproduce with
//
//	go test ./ovsdb-fixtures -run '^$' -bench LoadNB -benchtime 3x
func BenchmarkLoadNB(b *testing.B) {
	for _, ports := range []int{20, 200} {
		topo := MustGenerate(10, 50, ports, 10)
		_, _, n := topo.Counts()
		b.Run(fmt.Sprintf("ports=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				nb := ovsdbtest.StartNB(b, ovsdbtest.Clustered(1))
				b.StartTimer()
				if err := LoadNB(context.Background(), nb.Endpoint(), topo, 0); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				nb.Stop()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ports/s")
		})
	}
}
