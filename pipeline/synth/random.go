package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Seed domains: every random stream of the generator is a PCG (PCG-DXSM,
// math/rand/v2) keyed by (seed, domain, index); see streamKey.
const (
	domainRow   uint64 = 0x52_4f_57_00_00_00_00_01 // per-document stream, index = row
	domainVocab uint64 = 0x56_4f_43_00_00_00_00_02 // vocabulary, index = 0 generic, t+1 task t
	domainStyle uint64 = 0x53_54_59_00_00_00_00_03 // style jitter, index = task
	domainArch  uint64 = 0x41_52_43_00_00_00_00_04 // archetype permutation, index = block (task/8)
)

// one53 is 2^53, the number of distinct values of a 53-bit uniform draw.
const one53 = uint64(1) << 53

// mix64 is the SplitMix64 finaliser, a bijection on uint64.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

// streamKey returns the two PCG seed words of stream (seed, domain, i).
func streamKey(seed, domain, i uint64) (uint64, uint64) {
	return mix64(seed ^ domain), mix64(i + domain)
}

// rng is a small wrapper around a PCG with the few draws the generator uses.
// Hot-path draws use integer arithmetic only.
type rng struct{ p rand.PCG }

// reset positions the stream at the start of (seed, domain, i).
func (r *rng) reset(seed, domain, i uint64) {
	a, b := streamKey(seed, domain, i)
	r.p.Seed(a, b)
}

// u64 is a uniform 64-bit draw.
func (r *rng) u64() uint64 { return r.p.Uint64() }

// u53 is a uniform draw in [0, 2^53).
func (r *rng) u53() uint64 { return r.p.Uint64() >> 11 }

// below returns floor(u·n) for a uniform 64-bit u, in [0, n) (n ≥ 1).
func (r *rng) below(n int) int {
	hi, _ := bits.Mul64(r.p.Uint64(), uint64(n))
	return int(hi)
}

// between returns an integer in [lo, hi] (inclusive), uniform.
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.below(hi-lo+1)
}

// chance is true with probability th/2^53 (th from prob53).
func (r *rng) chance(th uint64) bool { return r.u53() < th }

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.u53()) * 0x1p-53 }

// prob53 converts a probability to a 53-bit threshold for chance.
func prob53(p float64) uint64 {
	if !(p > 0) {
		return 0
	}
	if p >= 1 {
		return one53
	}
	return uint64(p * float64(one53))
}

// cdf samples an index from fixed non-negative weights by inversion: for a
// 53-bit uniform u it returns the smallest r with u < c[r], where
// c[r] = floor(2^53 · (w[0]+…+w[r]) / Σw) and c[r] = 2^53 from the last
// positive weight on. A guide table (Chen's method) makes the search O(1) on
// average without changing its result. Indices with weight 0 are never drawn.
type cdf struct {
	c     []uint64
	guide []int32
	shift uint
}

// newCDF builds the sampler; weights must be finite, ≥ 0, with a positive sum.
func newCDF(w []float64) cdf {
	n := len(w)
	total := 0.0
	last := 0
	for i, x := range w {
		total += x
		if x > 0 {
			last = i
		}
	}
	c := make([]uint64, n)
	cum := 0.0
	for i, x := range w {
		cum += x
		if i >= last {
			c[i] = one53
			continue
		}
		v := math.Floor(cum / total * float64(one53))
		if v >= float64(one53) {
			c[i] = one53
		} else {
			c[i] = uint64(v)
		}
	}
	gbits := uint(8)
	for (1<<gbits) < n && gbits < 12 {
		gbits++
	}
	shift := 53 - gbits
	guide := make([]int32, 1<<gbits)
	r := 0
	for g := range guide {
		lo := uint64(g) << shift
		for c[r] <= lo {
			r++
		}
		guide[g] = int32(r)
	}
	return cdf{c: c, guide: guide, shift: shift}
}

// sample maps a 53-bit uniform draw to an index.
func (d *cdf) sample(u53 uint64) int {
	r := int(d.guide[u53>>d.shift])
	for u53 >= d.c[r] {
		r++
	}
	return r
}

// zipfWeights returns w[r] = 1/(r+1)^s for r in [0, n).
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for r := range w {
		w[r] = math.Pow(float64(r+1), -s)
	}
	return w
}
