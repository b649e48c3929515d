package features

import "math/bits"

// FNV-1a 64-bit parameters.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// TermHash is the hash of a word term: FNV-1a 64 over the bytes of the
// word as the tokenizer reads it — lower-cased, with U+2019 as U+0027 (see
// the package doc); word must already be in that form. Other tools
// reproduce a model's hashing with it.
func TermHash(word string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(word); i++ {
		h ^= uint64(word[i])
		h *= fnvPrime
	}
	return h
}

// BigramHash is the hash of the bigram of two consecutive terms whose
// hashes are a and b: splitmix64(a XOR (b × 0x9E3779B97F4A7C15)).
func BigramHash(a, b uint64) uint64 {
	return splitmix64(a ^ (b * 0x9E3779B97F4A7C15))
}

// splitmix64 is the finaliser of SplitMix64.
func splitmix64(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// bucketOf maps a term hash to one of 2^bits buckets (its top bits).
func bucketOf(h uint64, bits uint8) uint32 {
	return uint32(h >> (64 - bits))
}

// bytesHash hashes a byte string 8 bytes at a time (for equality tests
// within a document: repeated lines).
func bytesHash(b []byte) uint64 {
	h := uint64(len(b)) * 0x9E3779B97F4A7C15
	for len(b) >= 8 {
		v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = bits.RotateLeft64(h^(v*0xBF58476D1CE4E5B9), 29) * 0x94D049BB133111EB
		b = b[8:]
	}
	var v uint64
	for i, c := range b {
		v |= uint64(c) << (8 * i)
	}
	return splitmix64(h ^ v)
}

// counter counts 64-bit keys in an open-addressing table that is emptied
// in O(1) between documents (entries carry the generation they belong
// to). When track is set, keys keeps the distinct keys in the order they
// were first seen, for iterating over the counts.
type counter struct {
	slots    []slot
	mask     uint64
	gen      uint32
	distinct int
	track    bool
	keys     []uint64
}

type slot struct {
	key   uint64
	gen   uint32
	count int32
}

// reset empties the counter.
func (c *counter) reset() {
	c.gen++
	if c.gen == 0 { // wrapped: clear for real
		for i := range c.slots {
			c.slots[i].gen = 0
		}
		c.gen = 1
	}
	c.distinct = 0
	c.keys = c.keys[:0]
}

// add counts one occurrence of key and returns its count so far.
func (c *counter) add(key uint64) int32 {
	if 2*(c.distinct+1) > len(c.slots) {
		c.grow()
	}
	i := slotOf(key, c.mask)
	for {
		s := &c.slots[i]
		if s.gen != c.gen {
			*s = slot{key: key, gen: c.gen, count: 1}
			c.distinct++
			if c.track {
				c.keys = append(c.keys, key)
			}
			return 1
		}
		if s.key == key {
			s.count++
			return s.count
		}
		i = (i + 1) & c.mask
	}
}

// count returns the count of key.
func (c *counter) count(key uint64) int32 {
	if len(c.slots) == 0 {
		return 0
	}
	for i := slotOf(key, c.mask); ; i = (i + 1) & c.mask {
		s := &c.slots[i]
		if s.gen != c.gen {
			return 0
		}
		if s.key == key {
			return s.count
		}
	}
}

func (c *counter) grow() {
	old := c.slots
	gen := c.gen
	n := max(64, 2*len(c.slots))
	c.slots = make([]slot, n)
	c.mask = uint64(n - 1)
	if c.gen == 0 {
		c.gen = 1
	}
	for _, s := range old {
		if s.gen != gen || gen == 0 {
			continue
		}
		i := slotOf(s.key, c.mask)
		for c.slots[i].gen == c.gen {
			i = (i + 1) & c.mask
		}
		s.gen = c.gen
		c.slots[i] = s
	}
}

// slotOf is a key's home slot: Fibonacci hashing of the key's top bits
// (keys are hashes already, but runes are small integers).
func slotOf(key, mask uint64) uint64 {
	return ((key * 0x9E3779B97F4A7C15) >> 32) & mask
}

// HashedWords tokenizes a text into the hashed content words (stop words
// left out, as ContentWords reads them) that the masked-token objective
// predicts: the one tokenizer train, eval and the probes share.
func HashedWords(text string) []uint64 {
	words := ContentWords(text)
	out := make([]uint64, len(words))
	for i, w := range words {
		out[i] = TermHash(w)
	}
	return out
}
