# The two set-up commands of the README:
#   make quickstart   build robustdata and run the main job on the shipped corpus
#   make test         gofmt, go vet and the tests (race detector on)
# .ci/run calls `make test` and `make quickstart`.

GO ?= go
BIN := bin/robustdata
CORPUS := examples/data/fortunes.parquet
OUT := out/quickstart

.PHONY: build quickstart test bench bench-features bench-suite bench-quality clean

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
	$(GO) test -race ./...
	# The minimax-vs-erm quality floor skips itself under -race (15x slower).
	$(GO) test -count=1 -run TestRunUnequalTasks ./train/

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./pipeline/ ./features/

bench-features:
	scripts/bench-features.sh

bench-suite:
	scripts/bench-suite.sh

# Partition NMI/ARI against scikit-learn on every labelled corpus (installs
# python3-sklearn from Debian when missing); not part of `make test`.
bench-quality:
	scripts/bench-quality.sh

clean:
	rm -rf bin out
