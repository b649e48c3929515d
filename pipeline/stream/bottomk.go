package stream

import (
	"cmp"
	"container/heap"
	"slices"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// BottomK keeps the k items of smallest (key, tie) of a stream: a uniform
// random sample when the key is a seeded hash of the item's content
// (SampleKey), and the same sample whatever the order of the stream or how
// it is split, because which items are kept depends on their keys only.
// A sample drawn from each part of a split and merged (Offer the kept
// items again) is the sample of the whole. The caller keeps the items:
// Offer says in which slot the next one goes; Order lists the slots by
// (key, tie), the order a fit should see them in so that it does not
// depend on the input's order either.
type BottomK struct {
	k    int
	seen int64
	keys []uint64
	ties []string
	h    maxHeap // slots, the largest (key, tie) on top
}

// NewBottomK returns a sampler of k items.
func NewBottomK(k int) *BottomK {
	b := &BottomK{k: k}
	b.h.b = b
	return b
}

// SampleKey is the key of an item whose content is parts, for the sample
// of seed: a 64-bit hash, the same on every machine.
func SampleKey(seed uint64, parts ...[]byte) uint64 {
	h := mix64(seed)
	for _, p := range parts {
		h = mix64(h ^ xxhash.Sum64(p))
	}
	return h
}

// MaxKeyText bounds the bytes of a text a sample key is computed from:
// its first MaxKeyText bytes, cut back to a rune boundary (see
// SampleKeyText), so that a text kept cut to that bound has the key of
// the whole text.
const MaxKeyText = 1 << 20

// SampleKeyText is the sample key of a row whose identity is its text:
// SampleKey(seed, CutText(text, MaxKeyText)).
func SampleKeyText(seed uint64, text []byte) uint64 {
	return SampleKey(seed, CutText(text, MaxKeyText))
}

// CutText cuts text to at most n bytes at a rune boundary.
func CutText(text []byte, n int) []byte {
	if len(text) <= n {
		return text
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n]
}

// mix64 is splitmix64's finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Offer accounts for the next item, of key and tie (compared when keys
// are equal; "" when the key is the item's whole identity). It returns
// the slot (0..k-1) the item takes, replacing the slot's item, and true;
// or false when the item is not kept. While fewer than k items were
// offered, the slot is the item's position.
func (b *BottomK) Offer(key uint64, tie string) (slot int, keep bool) {
	b.seen++
	if b.k <= 0 {
		return 0, false
	}
	if len(b.keys) < b.k {
		slot = len(b.keys)
		b.keys, b.ties = append(b.keys, key), append(b.ties, tie)
		heap.Push(&b.h, slot)
		return slot, true
	}
	top := b.h.s[0]
	if compare(key, tie, b.keys[top], b.ties[top]) >= 0 {
		return 0, false
	}
	b.keys[top], b.ties[top] = key, tie
	heap.Fix(&b.h, 0)
	return top, true
}

// Seen is the number of items offered so far.
func (b *BottomK) Seen() int64 { return b.seen }

// Len is the number of items kept.
func (b *BottomK) Len() int { return len(b.keys) }

// Order returns the slots of the kept items by (key, tie), smallest first.
func (b *BottomK) Order() []int {
	slots := make([]int, len(b.keys))
	for i := range slots {
		slots[i] = i
	}
	slices.SortFunc(slots, func(x, y int) int { return compare(b.keys[x], b.ties[x], b.keys[y], b.ties[y]) })
	return slots
}

func compare(ka uint64, ta string, kb uint64, tb string) int {
	if c := cmp.Compare(ka, kb); c != 0 {
		return c
	}
	return cmp.Compare(ta, tb)
}

// maxHeap orders slots by their (key, tie), the largest first.
type maxHeap struct {
	b *BottomK
	s []int
}

func (h *maxHeap) Len() int { return len(h.s) }
func (h *maxHeap) Less(i, j int) bool {
	x, y := h.s[i], h.s[j]
	return compare(h.b.keys[x], h.b.ties[x], h.b.keys[y], h.b.ties[y]) > 0
}
func (h *maxHeap) Swap(i, j int) { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *maxHeap) Push(x any)    { h.s = append(h.s, x.(int)) }
func (h *maxHeap) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}

// Permute puts the items of a sample in the order Order gives: items[i]
// becomes the item of slot order[i]. It moves items in place along the
// permutation's cycles; swap(i, j) exchanges items i and j.
func Permute(order []int, swap func(i, j int)) {
	pos := make([]int, len(order)) // where the item of each slot is now
	at := make([]int, len(order))  // which slot's item is at each position
	for i := range pos {
		pos[i], at[i] = i, i
	}
	for i, want := range order {
		j := pos[want]
		if j == i {
			continue
		}
		swap(i, j)
		other := at[i]
		at[i], at[j] = want, other
		pos[want], pos[other] = i, j
	}
}
