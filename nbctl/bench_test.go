package nbctl

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkAddPortWithAddress is one `lsp-add SW P -- lsp-set-addresses P
// "MAC IP"` run in process against a real server whose switch holds 100
// ports: the address check reads the whole switch.
func BenchmarkAddPortWithAddress(b *testing.B) {
	s := startBenchNB(b)
	args := []string{"lr-add", "r1", "--", "ls-add", "sw1", "--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.0.1/16"}
	for i := 0; i < 100; i++ {
		p := fmt.Sprintf("p%d", i)
		args = append(args, "--", "lsp-add", "sw1", p, "--", "lsp-set-addresses", p, fmt.Sprintf("fa:16:3e:00:%02x:%02x 10.0.%d.%d", i/256, i%256, 1+i/200, 10+i%200))
	}
	if err := Run(context.Background(), Options{DB: s}, args); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := fmt.Sprintf("q%d", i)
		err := Run(context.Background(), Options{DB: s}, []string{"lsp-add", "sw1", p, "--", "lsp-set-addresses", p,
			fmt.Sprintf("fa:16:3e:01:%02x:%02x 10.0.%d.%d", (i/256)%256, i%256, 100+(i/200)%100, 10+i%200)})
		if err != nil {
			b.Fatal(err)
		}
	}
}
