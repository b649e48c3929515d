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

// axpyScatterAVX adds weights[p]·x to the 32 float32 at out+docs[p]·stride
// bytes for p < n, x's 32 values held in registers; VMULPS then VADDPS,
// as axpyAVX. It prefetches the 128 bytes at next (the chunk of a row
// that a later call reads). It is written in axpy_amd64.s.
//
//go:noescape
func axpyScatterAVX(x *float32, docs *int32, weights *float32, n int, out *float32, stride int, next *float32)
