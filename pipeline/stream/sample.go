package stream

import "math/rand/v2"

// Reservoir chooses a uniform random sample of k items from a stream of
// unknown length (Vitter's algorithm R), the same for the same seed and
// stream. The caller keeps the items: Offer says where the next one goes.
type Reservoir struct {
	k    int
	seen int64
	rng  *rand.Rand
}

// NewReservoir returns a sampler of k items seeded with seed.
func NewReservoir(k int, seed uint64) *Reservoir {
	return &Reservoir{k: k, rng: rand.New(rand.NewPCG(seed, 0x5eed5a3b1e))}
}

// Offer accounts for the next item of the stream. It returns the slot
// (0..k-1) the item takes and true, or false when the item is not kept.
// While fewer than k items were seen, slot is the item's position.
func (r *Reservoir) Offer() (slot int, keep bool) {
	r.seen++
	if r.seen <= int64(r.k) {
		return int(r.seen - 1), true
	}
	j := r.rng.Int64N(r.seen)
	if j < int64(r.k) {
		return int(j), true
	}
	return 0, false
}

// Seen is the number of items offered so far.
func (r *Reservoir) Seen() int64 { return r.seen }
