package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Functions run one after another reuse one worker, functions at once each get one, and
// workers left idle end.
func TestPoolReusesAndEnds(t *testing.T) {
	base := runtime.NumGoroutine()
	p := &Pool{Idle: 200 * time.Millisecond}
	var ids sync.Map
	for i := range 50 {
		done := make(chan struct{})
		p.Go(func() {
			ids.Store(goid(), true)
			close(done)
		})
		<-done
		if i == 0 {
			time.Sleep(10 * time.Millisecond) // the first worker reaches its wait
		}
	}
	n := 0
	ids.Range(func(any, any) bool { n++; return true })
	if n > 2 {
		t.Errorf("50 functions run one after another took %d goroutines, want them run on one or two", n)
	}
	// At once: each runs, none waits for another.
	var ran atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		p.Go(func() {
			defer wg.Done()
			ran.Add(1)
			<-release
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for ran.Load() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := ran.Load(); got != 8 {
		t.Fatalf("%d of 8 functions blocking at once are running, want all", got)
	}
	close(release)
	wg.Wait()
	// Idle workers end.
	for time.Now().Before(deadline) && runtime.NumGoroutine() > base {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > base {
		t.Errorf("%d goroutines left after the workers' idle time, want %d", got, base)
	}
}

// goid returns the calling goroutine's ID, from its stack trace's first line.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	// "goroutine 123 [running]:"
	for i := len("goroutine "); i < len(buf); i++ {
		if buf[i] == ' ' {
			return string(buf[len("goroutine "):i])
		}
	}
	return string(buf)
}
