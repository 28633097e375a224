# minivmm-img extras: the block benchmark (bench/block-bench.sh, not a test).
.PHONY: bench-block
bench-block: $(BIN)/minivmm-img
	MINIVMM_IMG=$(abspath $(BIN)/minivmm-img) bench/block-bench.sh
