package app

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// A serving node's live heap is small beside what delivering allocates: two nodes with
// their match indexes keep about 30 MB, and every message delivered allocates tens of
// kilobytes (pgx encodes each pipeline into a buffer it grows anew, envelopes are parsed
// and sealed). At Go's default (GOGC=100) the collector then ran every 30 MB allocated,
// about a fifth of the process's CPU per message delivered. So while a node serves, the
// heap may grow by up to four times its live size before a collection, as long as that
// is no more than servingHeadroom beyond what the default allows: a small heap collects
// a quarter as often, and a large one (a big match index) keeps about the default. An
// operator who sets GOGC keeps it.
const (
	maxServingGCPercent = 400
	servingHeadroom     = 256 << 20
)

// servingGCPercent returns the GOGC a serving node runs at with live bytes of live heap:
// the heap may grow by 4×live, by no more than live (the default's growth) plus
// servingHeadroom, and never by less than live.
func servingGCPercent(live uint64) int {
	if live == 0 {
		return maxServingGCPercent
	}
	growth := min(4*live, live+servingHeadroom)
	return int(min(growth*100/live, maxServingGCPercent))
}

// serving counts the nodes of this process serving (CollectForServing), and keeps the
// setting the first found, restored when the last stops.
var serving struct {
	sync.Mutex
	n    int
	old  int
	stop chan struct{}
	done chan struct{}
}

// servingEvery is how often the setting follows the live heap.
const servingEvery = time.Second

// CollectForServing sets the garbage collector's target for a serving node, following
// its live heap (servingGCPercent), unless GOGC is set in the environment, and returns
// what restores the setting once the last node of the process stops serving. While a
// matcher loads, its own setting holds (collectLessWhileLoading).
func CollectForServing() (stop func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	serving.Lock()
	defer serving.Unlock()
	if serving.n == 0 {
		serving.old = currentGCPercent()
		serving.stop, serving.done = make(chan struct{}), make(chan struct{})
		followLiveHeap()
		go func(stop, done chan struct{}) {
			defer close(done)
			t := time.NewTicker(servingEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					followLiveHeap()
				}
			}
		}(serving.stop, serving.done)
	}
	serving.n++
	return sync.OnceFunc(func() {
		serving.Lock()
		defer serving.Unlock()
		if serving.n--; serving.n > 0 {
			return
		}
		close(serving.stop)
		<-serving.done
		loading.Lock()
		defer loading.Unlock()
		if loading.n > 0 {
			loading.old = serving.old // restored when the load ends
		} else {
			debug.SetGCPercent(serving.old)
		}
	})
}

// currentGCPercent returns the collector's setting, as it is outside any matcher's load.
func currentGCPercent() int {
	loading.Lock()
	defer loading.Unlock()
	if loading.n > 0 {
		return loading.old
	}
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// followLiveHeap sets the collector's target for the live heap measured at the last
// collection, unless a matcher is loading.
func followLiveHeap() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	loading.Lock()
	defer loading.Unlock()
	if loading.n == 0 {
		debug.SetGCPercent(servingGCPercent(s[0].Value.Uint64()))
	}
}
