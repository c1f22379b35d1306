package web

import (
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/app"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/inbox":                "/inbox",
		"/messages/abc?x=1":     "/messages/abc?x=1",
		"":                      "/",
		"https://evil.example/": "/",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"/ /evil.example":       "/",
		"inbox":                 "/",
		"javascript:alert(1)":   "/",
		"/%09/evil.example":     "/%09/evil.example", // stays a path on this node
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoginLimiterUnderParallelGuesses: however many guesses arrive at once, no more than
// the limit get through to the password check in a window.
func TestLoginLimiterUnderParallelGuesses(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newLoginLimiter(clock, 5, 5*time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.attempt("user:liaison", "ip:192.0.2.1") == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if admitted != 5 {
		t.Fatalf("%d parallel guesses reached the password check, want 5", admitted)
	}
	clock.Advance(5*time.Minute + time.Second)
	if l.attempt("user:liaison", "ip:192.0.2.1") != 0 {
		t.Fatal("still blocked after the window")
	}
	l.succeeded("user:liaison", "ip:192.0.2.1")
	if got := len(l.failures["ip:192.0.2.1"]); got != 0 {
		t.Errorf("a successful sign-in left %d failures against the address", got)
	}
}
