//go:build !amd64 || purego

package features

const useAVX = false

func axpyAVX(a float32, x, y *float32, n int) {}

func axpyScatterAVX(x *float32, docs *int32, weights *float32, n int, out *float32, stride int, next *float32) {
}
