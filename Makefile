# The two set-up commands of the README:
#   make quickstart   build robustdata and run the main job on the shipped corpus
#   make test         gofmt, go vet and the tests (race detector on)
# .ci/run calls `make test` and `make quickstart`.

GO ?= go
BIN := bin/robustdata
CORPUS := examples/data/fortunes.parquet
OUT := out/quickstart

.PHONY: build quickstart test bench bench-features clean

build:
	$(GO) build -o $(BIN) ./cmd/robustdata

quickstart: build
	@mkdir -p $(OUT)
	$(BIN) inspect $(CORPUS)
	$(BIN) cat -i $(CORPUS) --limit 3 -o $(OUT)/peek.jsonl
	$(BIN) partition -i $(CORPUS) --k 12 --label-col label --overwrite -o $(OUT)/dataset/
	$(BIN) verify $(OUT)/dataset
	$(BIN) inspect $(OUT)/dataset
	@echo "quickstart: dataset in $(OUT)/dataset/, report: $(OUT)/dataset/report.md"

test:
	@unformatted=$$(gofmt -l .); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./pipeline/ ./features/

bench-features:
	scripts/bench-features.sh

clean:
	rm -rf bin out
