package stream

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// sampleOf draws a bottom-k sample of items (their content as the key,
// the content again as the tie) and returns it in Order's order.
func sampleOf(k int, seed uint64, items []string) ([]string, int64) {
	b := NewBottomK(k)
	kept := make([]string, 0, k)
	for _, it := range items {
		slot, keep := b.Offer(SampleKey(seed, []byte(it)), it)
		if !keep {
			continue
		}
		if slot == len(kept) {
			kept = append(kept, it)
		} else {
			kept[slot] = it
		}
	}
	out := make([]string, 0, len(kept))
	for _, s := range b.Order() {
		out = append(out, kept[s])
	}
	return out, b.Seen()
}

func TestBottomKOrderAndSplitIndependent(t *testing.T) {
	var items []string
	for i := range 5000 {
		items = append(items, fmt.Sprintf("doc %d", i%4000)) // duplicates too
	}
	want, seen := sampleOf(300, 7, items)
	if len(want) != 300 || seen != 5000 {
		t.Fatalf("kept %d of %d", len(want), seen)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 5 {
		shuffled := slices.Clone(items)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got, _ := sampleOf(300, 7, shuffled); !slices.Equal(got, want) {
			t.Fatalf("trial %d: a shuffled stream gives another sample", trial)
		}
		// Split into parts, sample each, merge the parts' samples.
		cut := rng.IntN(len(shuffled))
		a, _ := sampleOf(300, 7, shuffled[:cut])
		b, _ := sampleOf(300, 7, shuffled[cut:])
		if got, _ := sampleOf(300, 7, append(b, a...)); !slices.Equal(got, want) {
			t.Fatalf("trial %d: the merge of two parts' samples is not the whole's", trial)
		}
	}
	if other, _ := sampleOf(300, 8, items); slices.Equal(other, want) {
		t.Error("another seed gives the same sample")
	}
}

func TestBottomKUniform(t *testing.T) {
	// Each of 10 blocks of 1,000 items should hold about a tenth of a
	// sample of 2,000 (binomial sd ≈ 13).
	var items []string
	for i := range 10000 {
		items = append(items, fmt.Sprint(i))
	}
	got, _ := sampleOf(2000, 3, items)
	var per [10]int
	for _, s := range got {
		var i int
		fmt.Sscan(s, &i)
		per[i/1000]++
	}
	for b, n := range per {
		if n < 140 || n > 260 {
			t.Errorf("block %d holds %d of 2000", b, n)
		}
	}
}

func TestSampleKeyText(t *testing.T) {
	long := []byte(strings.Repeat("é", MaxKeyText)) // 2 MiB
	cut := CutText(long, MaxKeyText)
	if len(cut) != MaxKeyText || !utf8.Valid(cut) {
		t.Fatalf("cut to %d bytes (valid %v)", len(cut), utf8.Valid(cut))
	}
	if SampleKeyText(9, long) != SampleKeyText(9, cut) {
		t.Error("a text and its cut have other keys")
	}
	odd := append([]byte("x"), long...) // the bound falls inside a rune
	if c := CutText(odd, MaxKeyText); len(c) != MaxKeyText-1 || !utf8.Valid(c) {
		t.Errorf("cut inside a rune: %d bytes", len(c))
	}
	if SampleKeyText(1, []byte("a")) == SampleKeyText(2, []byte("a")) || SampleKeyText(1, []byte("a")) != SampleKey(1, []byte("a")) {
		t.Error("seed or short text")
	}
}

func TestBottomKFewerThanK(t *testing.T) {
	got, seen := sampleOf(10, 1, []string{"b", "a", "c"})
	if len(got) != 3 || seen != 3 {
		t.Fatalf("%q %d", got, seen)
	}
	again, _ := sampleOf(10, 1, []string{"c", "b", "a"})
	if !slices.Equal(got, again) {
		t.Errorf("order of a short stream: %q vs %q", got, again)
	}
	if got, _ := sampleOf(0, 1, []string{"a"}); len(got) != 0 {
		t.Errorf("k = 0 kept %q", got)
	}
}

func TestPermute(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 40 {
		order := rng.Perm(n)
		items := make([]int, n)
		for i := range items {
			items[i] = i
		}
		Permute(order, func(i, j int) { items[i], items[j] = items[j], items[i] })
		if !slices.Equal(items, order) {
			t.Fatalf("n = %d: %v, want %v", n, items, order)
		}
	}
}
