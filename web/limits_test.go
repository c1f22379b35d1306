package web

import (
	"fmt"
	"strconv"
	"strings"
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
	l := newLoginLimiter(clock.Now, 5*time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.attempt("liaison", "192.0.2.1") == 0 {
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
	if l.attempt("liaison", "192.0.2.1") != 0 {
		t.Fatal("still blocked after the window")
	}
	l.succeeded("liaison", "192.0.2.1")
	if got := len(l.failures["a\x00192.0.2.1"]); got != 0 {
		t.Errorf("a successful sign-in left %d failures against the address", got)
	}
}

// TestLoginLimiterPerUserAndAddress: failures lock one user out from one address only. The
// same address still signs other users in (a desk behind one proxy), the same user still
// signs in from elsewhere, and an attack spread over many addresses does not refuse the
// user's own address.
func TestLoginLimiterPerUserAndAddress(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newLoginLimiter(clock.Now, 5*time.Minute)
	for i := range loginMaxPerPair {
		if w := l.attempt("analyst", "192.0.2.1"); w != 0 {
			t.Fatalf("failure %d refused already (wait %s)", i+1, w)
		}
	}
	if w := l.attempt("analyst", "192.0.2.1"); w <= 0 || w > 5*time.Minute {
		t.Fatalf("analyst from the same address after %d failures: wait %s, want up to 5 minutes", loginMaxPerPair, w)
	}
	if w := l.attempt("liaison", "192.0.2.1"); w != 0 {
		t.Errorf("another user from the same address is refused for %s", w)
	}
	if w := l.attempt("analyst", "198.51.100.7"); w != 0 {
		t.Errorf("the same user from another address is refused for %s", w)
	}
	// Many addresses guessing one user's password tighten each address's allowance...
	for i := range loginMaxPerUser {
		l.attempt("supervisor", fmt.Sprintf("203.0.113.%d", i))
	}
	if w := l.attempt("supervisor", "203.0.113.1"); w == 0 {
		t.Error("an address that already failed for a user under attack may guess again")
	}
	// ...but not the user's own, which has not failed.
	if w := l.attempt("supervisor", "192.0.2.200"); w != 0 {
		t.Errorf("the user's own address is refused for %s because of others' failures", w)
	}
	// One address guessing across many users meets the address limit.
	for i := range loginMaxPerAddress {
		l.attempt(fmt.Sprintf("user%d", i), "192.0.2.99")
	}
	if w := l.attempt("liaison", "192.0.2.99"); w == 0 {
		t.Error("an address spraying many usernames is never refused")
	}
}

// TestLoginLimiterBounded: unknown, over-long usernames cost the limiter one short key,
// the table never holds more than its bound, and expired entries are pruned.
func TestLoginLimiterBounded(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newLoginLimiter(clock.Now, 5*time.Minute)
	huge := strings.Repeat("x", 1<<20)
	for i := range 200 {
		l.attempt(huge+strconv.Itoa(i), "192.0.2.1")
	}
	for k := range l.failures {
		if len(k) > 2*loginMaxUsernameLen+64 {
			t.Fatalf("the limiter keeps a key of %d bytes", len(k))
		}
	}
	for i := range 3 * loginMaxKeys {
		l.attempt(fmt.Sprintf("u%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if n := len(l.failures); n > loginMaxKeys {
		t.Fatalf("the limiter holds %d keys, above its bound of %d", n, loginMaxKeys)
	}
	clock.Advance(6 * time.Minute)
	l.attempt("liaison", "192.0.2.1")
	if n := len(l.failures); n > 3 {
		t.Fatalf("%d keys left after every failure expired, want only the last attempt's", n)
	}
}
