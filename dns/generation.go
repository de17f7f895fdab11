package dns

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// generation is a counter in a small file that every stack process maps
// shared: writers bump it after each change to the records, and readers
// compare it with one memory load per query, so a resolver notices a
// start or stop at once without a system call.
type generation struct {
	once sync.Once
	ctr  *uint64 // nil when the file could not be mapped
}

func (g *generation) open(dir string) *uint64 {
	g.once.Do(func() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return
		}
		f, err := os.OpenFile(filepath.Join(dir, ".generation"), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return
		}
		defer f.Close()
		if fi, err := f.Stat(); err != nil || (fi.Size() < 8 && f.Truncate(8) != nil) {
			return
		}
		mem, err := unix.Mmap(int(f.Fd()), 0, 8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return
		}
		g.ctr = (*uint64)(unsafe.Pointer(&mem[0]))
	})
	return g.ctr
}

// load returns the current generation and whether it can be trusted.
func (g *generation) load(dir string) (uint64, bool) {
	ctr := g.open(dir)
	if ctr == nil {
		return 0, false
	}
	return atomic.LoadUint64(ctr), true
}

func (g *generation) bump(dir string) {
	if ctr := g.open(dir); ctr != nil {
		atomic.AddUint64(ctr, 1)
	}
}
