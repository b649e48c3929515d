//go:build !unix

package stream

import "os"

// lockFile does nothing where advisory locks are not supported.
func lockFile(*os.File) error { return nil }

// tryLockFile never takes a lock where advisory locks are not supported,
// so staging entries are never swept there.
func tryLockFile(*os.File) (bool, error) { return false, nil }
