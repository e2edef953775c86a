# Everything a developer or CI runs. See README.md.
GO      ?= go
export PATH := /usr/local/go/bin:$(PATH)
BINS    := dvr-nbctl dvr-northd dvr-chassis dvr-trace dvr-sandbox
PKGS    := ./...

.PHONY: all build generate verify-generated lint test bench demo demo-down clean

all: build

build:
	@mkdir -p bin
	@for b in $(BINS); do $(GO) build -o bin/$$b ./cmd/$$b || exit 1; done

generate:
	cd schema && $(GO) generate ./...

verify-generated: generate
	@git diff --exit-code -- internal/nbdb internal/sbdb internal/vswitchd || \
	  (echo "generated models differ from the committed ones: run 'make generate' and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- internal/nbdb internal/sbdb internal/vswitchd)" || \
	  (echo "untracked generated files: run 'make generate' and commit" >&2; git status --porcelain -- internal/nbdb internal/sbdb internal/vswitchd; exit 1)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test: build lint verify-generated
	$(GO) test -count=1 -timeout 15m $(PKGS)

# Benchmarks (docs/benchmarks.md records results and the machine):
# dvr-nbctl vs ovn-nbctl and dvr-northd vs ovn-northd on real ovsdb-servers
# (scripts/bench.sh; BENCH_QUICK=1 for a smoke run, BENCH_ONLY=nbctl|northd
# for one part). BENCH=regexp runs the Go benchmarks instead (go test -bench).
BENCH     ?=
BENCHTIME ?= 3x
bench:
	@if [ -n "$(BENCH)" ]; then \
	  $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) $(PKGS); \
	else bash scripts/bench.sh; fi

# NB, SB, dvr-northd and three simulated hypervisors under ./run/demo with the seed topology.
# CLUSTER=3: NB and SB as 3-member RAFT clusters; TLS=1: every connection on SSL (ovs-pki).
CLUSTER ?= 1
TLS     ?=
demo:
	@CLUSTER='$(CLUSTER)' TLS='$(TLS)' bash scripts/demo.sh

demo-down:
	@bash scripts/demo-down.sh

clean:
	rm -rf bin
