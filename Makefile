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
	$(BIN) cat -i $(CORPUS) --doc-id --columns doc_id,label,text -o $(OUT)/fortunes.arrows
	$(BIN) cat -i $(OUT)/fortunes.arrows --limit 3 -o $(OUT)/peek.jsonl
	$(BIN) features -i $(CORPUS) -o $(OUT)/features.parquet --model-out $(OUT)/features.model
	$(BIN) synth --docs 20000 --tasks 8 -o $(OUT)/synth.parquet
	$(BIN) inspect $(OUT)/features.parquet $(OUT)/synth.parquet
	@echo "quickstart: outputs in $(OUT)/; first rows: $(OUT)/peek.jsonl"

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
