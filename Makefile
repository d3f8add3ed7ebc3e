# landlord — GitOps for database-per-tenant SaaS.
#
#   make demo   reconcile the example repository on SQLite (no server needed)
#   make test   all tests, with -race, against the local MariaDB
#   make bench  benchmarks, reported as ratios against a baseline
#   make soak   two serve replicas, 50 tenants, a push every 30 s for 5 minutes
#   make chaos  a 200-tenant rollout killed with SIGKILL at 20 random points

GO        ?= go
BIN       := bin/landlord
DEMO_DIR  := examples/platform
MYSQL_URL ?= mysql://root@127.0.0.1:3306/

.PHONY: all build demo test test-short vet fmt bench soak chaos clean

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
test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./reconciler/

# Two landlord serve processes on one MariaDB landlord database over 50
# tenants for 5 minutes, with a push every 30 s and the leader restarted
# halfway; prints its figures. make test runs a 30-second version
# (TestServeReplicas).
soak:
	$(GO) test -tags soak -count=1 -v -run '^TestSoak$$' -timeout 20m ./cmd/landlord/

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
