package rsvd

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// runner executes fixed work decompositions on a bounded number of
// goroutines. The decomposition (the blocks) never depends on the number of
// workers; only which goroutine runs which block does. Combined with kernels
// whose per-element arithmetic is fixed, results do not depend on Workers.
type runner struct {
	ctx     context.Context
	workers int
	k       kernels
}

// forBlocks calls f(w, b) for every block b in [0, nb), where w in
// [0, workers) identifies the calling goroutine (for per-worker scratch
// space). Blocks must write disjoint outputs. It stops early and returns the
// context's error when the context is done, and converts a panic in f into an
// error.
func (r *runner) forBlocks(nb int, f func(w, b int)) error {
	if nb <= 0 {
		return r.ctx.Err()
	}
	nw := min(r.workers, nb)
	var (
		next    atomic.Int64
		errOnce sync.Once
		err     error
	)
	setErr := func(e error) { errOnce.Do(func() { err = e }) }
	work := func(w int) {
		defer func() {
			if p := recover(); p != nil {
				setErr(fmt.Errorf("rsvd: internal error: %v\n%s", p, debug.Stack()))
			}
		}()
		for {
			if e := r.ctx.Err(); e != nil {
				setErr(e)
				return
			}
			b := int(next.Add(1) - 1)
			if b >= nb {
				return
			}
			f(w, b)
		}
	}
	if nw == 1 {
		work(0)
		return err
	}
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(w)
		}()
	}
	wg.Wait()
	return err
}

// blockRange returns the half-open range of block b when [0, n) is cut into
// blocks of size bs.
func blockRange(b, bs, n int) (lo, hi int) {
	lo = b * bs
	return lo, min(n, lo+bs)
}

// numBlocks returns ceil(n/bs).
func numBlocks(n, bs int) int { return (n + bs - 1) / bs }
