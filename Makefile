# The two set-up commands of the README:
#   make quickstart   build robustdata and run the main job on the shipped corpus
#   make test         gofmt, go vet and the tests, about 2.5 min on 2 cores (after quickstart)
#   make test-race    the same tests with the race detector (compiles everything again
#                     with -race: about 8 min from an empty build cache)
#   make test-long    the slow end-to-end, quality and soak tests (ROBUSTDATA_LONG=1)
# .ci/run calls `make test`, `make test-race`, `make test-long` and `make quickstart`.

GO ?= go
BIN := bin/robustdata
CORPUS := examples/data/fortunes.parquet
OUT := out/quickstart
# Per test binary (package). make test takes about 5 minutes on 2 cores;
# the timeout leaves room for a busy machine (cmd/robustdata alone took 12 min
# beside three other builds).
TEST_TIMEOUT ?= 20m
TEST_LONG_TIMEOUT ?= 30m

.PHONY: build quickstart test test-race test-long bench bench-rows bench-features bench-suite bench-quality effect-study clean

build:
	$(GO) build -o $(BIN) ./cmd/robustdata

quickstart: build
	$(BIN) inspect $(CORPUS)
	$(BIN) run examples/quickstart/pipeline.yaml
	$(BIN) verify $(OUT)/dataset
	@echo "quickstart: open $(OUT)/report.html"

test:
	@unformatted=$$(gofmt -l .); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

# The race detector on every package (the concurrent stream, features,
# partition, train and CLI code); CI runs it in a step of its own.
test-race:
	$(GO) vet -race ./...  # -race: the packages vet compiles are the ones the race tests link
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...

# The long tests (internal/longtest) skip themselves unless ROBUSTDATA_LONG=1.
# Without -race: the quick tests run with it in make test-race, and the
# quality floors (TestRunUnequalTasks) skip themselves under -race.
test-long:
	ROBUSTDATA_LONG=1 $(GO) test -count=1 -timeout $(TEST_LONG_TIMEOUT) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./pipeline/stream/ ./features/

# The per-row profile (issue 16): µs per row and CPU-s per GB per
# component on a short-document corpus; PROFILE_DIR=DIR keeps CPU profiles.
bench-rows:
	scripts/bench-rows.sh $(PROFILE_DIR)

bench-features:
	scripts/bench-features.sh

bench-suite:
	scripts/bench-suite.sh

# Partition NMI/ARI against scikit-learn on every labelled corpus (installs
# python3-sklearn from Debian when missing); not part of `make test`.
bench-quality:
	scripts/bench-quality.sh

# Issue 19's effect study: erm, uniform, group-dro, doremi and minimax on
# two real corpora (K = 8, seeds 1-3), worst-task, mean and worst-task
# excess loss and downstream probe accuracy with the seed spread; about
# 40 min on 2 shared cores, not part of `make test`. VARIANTS= adds knobs
# (see the README's effect study).
effect-study: build
	scripts/effect-study.sh

clean:
	rm -rf bin out
