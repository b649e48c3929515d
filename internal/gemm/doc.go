// Package gemm holds a small dense float64 matrix-product kernel shared by
// the feature and partition stages: a 4×12 register-blocked micro-kernel
// (AVX2+FMA assembly on amd64, portable Go with math.FMA elsewhere) and
// routines built on it for row-major operands.
//
// Every output element is one fixed chain of fused multiply-adds (a single
// rounding per step), c = fma(a_s, b_s, c) for s = 0, 1, … in order, whose
// order depends only on the inner dimension. The assembly and the portable
// kernels perform exactly the same chain, and the routines give each output
// element the same chain wherever it falls in a tile, so results are
// bit-identical whichever path runs and however the caller splits rows
// between goroutines.
package gemm
