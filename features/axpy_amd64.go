//go:build amd64 && !purego

package features

import "golang.org/x/sys/cpu"

// useAVX tells whether the AVX kernel may run (CPU and OS support).
var useAVX = cpu.X86.HasAVX

// axpyAVX computes y[i] += a·x[i] for n values with 8-wide AVX multiplies
// and adds (no FMA). It is written in axpy_amd64.s.
//
//go:noescape
func axpyAVX(a float32, x, y *float32, n int)
