# landlord — GitOps for database-per-tenant SaaS.
#
#   make demo   reconcile the example repository on SQLite (no server needed)
#   make test   all tests, with -race, against the local MariaDB
#   make test-short  the inner loop: no soak, no long ALTERs, no large schemas
#   make bench  landlord against Skeema and the mariadb client on N tenants, as ratios
#   make soak   two serve replicas, 50 tenants, a push every 30 s for 5 minutes
#   make fuzz   each fuzz target for FUZZTIME (10s) on hostile input
#   make chaos  a 200-tenant rollout killed with SIGKILL at 20 random points

GO        ?= go
BIN       := bin/landlord
DEMO_DIR  := examples/platform
MYSQL_URL ?= mysql://root@127.0.0.1:3306/

.PHONY: all build demo test test-short vet fmt bench bench-go soak fuzz chaos clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/landlord

# The main job on the embedded default: every example tenant becomes an
# SQLite file under examples/platform/.landlord/tenants, the landlord
# database is examples/platform/.landlord/landlord.db. Run it twice: the
# second run reports no changes.
demo: build
	cd $(DEMO_DIR) && ../../$(BIN) reconcile
	cd $(DEMO_DIR) && ../../$(BIN) status

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Tests need MariaDB (or MySQL) at LANDLORD_TEST_MYSQL, default
# $(MYSQL_URL); they fail when it is unreachable.
# Four tests at once in a package (-parallel; the default is one a
# core): the tests that call t.Parallel each have databases of their own
# and wait on MariaDB more than they use a core. make test-short, four
# packages of four tests, peaked at 46 connections of the server's 151.
test: vet
	$(GO) test -race -count=1 -parallel 4 -timeout 45m ./...

# The inner loop (about 4 minutes on 2 cores): the same packages without the
# race detector, and without the tests that skip themselves in -short mode
# (the serve soak, the long-ALTER SIGTERM test, the corpus schemas of more
# than 60 tables, serve end to end). Four packages at once, four tests
# at once in each: the tests wait on MariaDB more than they use the two
# cores. make test and CI run everything.
test-short:
	$(GO) test -short -count=1 -p 4 -parallel 4 -timeout 5m ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# landlord, Skeema v1.14.1 (built from the Go module proxy) and the mariadb
# client on one MariaDB of its own (a free port, max_connections=151), the
# same N tenants of the example: per-tenant ms and ratios. N=1000:
# make bench BENCH_ARGS='-n 1000'.
BENCH_ARGS ?= -n 200
bench: build
	$(GO) run ./cmd/fleetbench -landlord $(BIN) $(BENCH_ARGS)

# The Go benchmarks of the reconciler against the local MariaDB.
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./reconciler/

# Two landlord serve processes on one MariaDB landlord database over 50
# tenants for 5 minutes, with a push every 30 s and the leader restarted
# halfway; prints its figures. make test runs a 30-second version
# (TestServeReplicas).
soak:
	$(GO) test -tags soak -count=1 -v -run '^TestSoak$$' -timeout 20m ./cmd/landlord/

# Each fuzz target for FUZZTIME from its seed corpus (testdata/fuzz and the
# seeds in the code); make test runs the seed corpus alone. A failing
# input is written to the package's testdata/fuzz. New inputs are not
# minimized: in a run this short, minimizing them takes most of the time.
FUZZTIME    ?= 10s
FUZZTARGETS := FuzzLoadManifest:./desired/ FuzzDataFile:./refdata/ FuzzCheckLimits:./schema/ FuzzCompose:./schema/ FuzzValidate:./reconciler/ FuzzDemoFile:./seed/

fuzz:
	@set -e; for t in $(FUZZTARGETS); do \
		echo "== $${t%%:*} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 0 "$${t#*:}"; \
	done

# A fresh rollout of 200 tenants killed with SIGKILL at 20 random points,
# then rerun: every tenant converges, no statement is applied twice, no run
# is left running, no scratch database is left; the heap of 500 no-op runs
# of one Reconciler. make test runs short forms (TestChaosKill9 with 8
# tenants, TestHeapBoundedOverRuns with 20 runs).
chaos:
	LANDLORD_CHAOS=full $(GO) test -count=1 -v -run '^TestChaosKill9$$' -timeout 60m ./cmd/landlord/
	LANDLORD_HEAP_RUNS=500 $(GO) test -count=1 -v -run '^TestHeapBoundedOverRuns$$' -timeout 60m ./reconciler/

clean:
	rm -rf bin $(DEMO_DIR)/.landlord
