package stream

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// leakGuard is the allocator one arrow-go reader is given: it passes
// everything to the configured allocator, and gives back what arrow-go
// loses on corrupt input.
//
// arrow-go leaks buffers when a batch fails to load: its array
// constructors (array.NewStringData and the like) retain the array data
// before validating it and then panic, so the half-built array that holds
// the reference is never released (and a panic between two buffer loads
// loses the first buffer the same way). Nothing can reach those buffers
// after the failed call, but a checked or C allocator counts them as in
// use forever.
//
// So the reader watches each call into arrow-go: what is allocated during
// a call that fails and is still allocated once the reader has released
// everything arrow-go holds (at Close) is unreachable, and is freed then.
// A call that succeeds hands its buffers to a batch the caller may keep:
// those are never touched.
type leakGuard struct {
	memory.Allocator

	watching atomic.Bool
	tracked  atomic.Int64 // len(fresh)+len(suspect), to skip the lock in Free

	mu      sync.Mutex
	fresh   map[uintptr][]byte // allocated during the current call
	suspect map[uintptr][]byte // allocated during failed calls, still live
}

func newLeakGuard(mem memory.Allocator) *leakGuard {
	return &leakGuard{Allocator: mem}
}

func bufKey(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func (g *leakGuard) Allocate(size int) []byte {
	b := g.Allocator.Allocate(size)
	if g.watching.Load() && cap(b) > 0 {
		g.mu.Lock()
		if g.fresh != nil {
			g.fresh[bufKey(b)] = b
			g.tracked.Add(1)
		}
		g.mu.Unlock()
	}
	return b
}

func (g *leakGuard) Reallocate(size int, b []byte) []byte {
	nb := g.Allocator.Reallocate(size, b)
	if g.tracked.Load() == 0 {
		return nb
	}
	g.mu.Lock()
	for _, m := range []map[uintptr][]byte{g.fresh, g.suspect} {
		if _, ok := m[bufKey(b)]; ok {
			delete(m, bufKey(b))
			m[bufKey(nb)] = nb
		}
	}
	g.mu.Unlock()
	return nb
}

func (g *leakGuard) Free(b []byte) {
	if g.tracked.Load() != 0 {
		g.mu.Lock()
		g.forget(b)
		g.mu.Unlock()
	}
	g.Allocator.Free(b)
}

// forget stops tracking b. Call with mu held.
func (g *leakGuard) forget(b []byte) {
	k := bufKey(b)
	if _, ok := g.fresh[k]; ok {
		delete(g.fresh, k)
		g.tracked.Add(-1)
	}
	if _, ok := g.suspect[k]; ok {
		delete(g.suspect, k)
		g.tracked.Add(-1)
	}
}

// watch starts recording allocations, before a call into arrow-go.
func (g *leakGuard) watch() {
	g.mu.Lock()
	g.fresh = map[uintptr][]byte{}
	g.mu.Unlock()
	g.watching.Store(true)
}

// done stops recording after the call: the allocations of a failed call
// become suspects, those of a successful one are forgotten.
func (g *leakGuard) done(failed bool) {
	g.watching.Store(false)
	g.mu.Lock()
	defer g.mu.Unlock()
	if failed {
		if g.suspect == nil {
			g.suspect = map[uintptr][]byte{}
		}
		for k, b := range g.fresh {
			g.suspect[k] = b
		}
	} else {
		g.tracked.Add(-int64(len(g.fresh)))
	}
	g.fresh = nil
}

// freeLost frees the suspects still allocated. Call it only once the
// reader has released every arrow-go object, so that whatever is left is
// out of reach.
func (g *leakGuard) freeLost() {
	g.mu.Lock()
	lost := g.suspect
	g.suspect = nil
	g.tracked.Add(-int64(len(lost)))
	g.mu.Unlock()
	for _, b := range lost {
		g.Allocator.Free(b)
	}
}
