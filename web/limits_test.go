package web

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
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

// limiters returns n sign-in limiters, as n servers of one node have: each over its own
// connection to one SQLite database, as separate processes would be, on one wall clock.
func limiters(t *testing.T, n int, clock *app.SimClock) ([]*loginLimiter, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forewarn.db")
	var ls []*loginLimiter
	for range n {
		store, err := sqlite.Open(path, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		ls = append(ls, newLoginLimiter(store, clock.Now, 5*time.Minute))
	}
	return ls, path
}

// wait makes an attempt through l and returns how long it must wait.
func wait(t *testing.T, l *loginLimiter, username, ip string) time.Duration {
	t.Helper()
	_, w, err := l.attempt(context.Background(), username, ip)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestLoginLimiterUnderParallelGuesses: however many guesses arrive at once, at two
// servers of one node sharing one store, no more than the limit get through to the
// password check in a window.
func TestLoginLimiterUnderParallelGuesses(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	ls, _ := limiters(t, 2, clock)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, w, err := ls[i%2].attempt(context.Background(), "liaison", "192.0.2.1")
			if err != nil {
				t.Error(err)
			}
			if err == nil && w == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if admitted != loginMaxPerPair {
		t.Fatalf("%d parallel guesses at two servers reached the password check, want %d", admitted, loginMaxPerPair)
	}
	clock.Advance(5*time.Minute + time.Second)
	res, w, err := ls[1].attempt(context.Background(), "liaison", "192.0.2.1")
	if err != nil || w != 0 {
		t.Fatalf("still blocked after the window (%s, %v)", w, err)
	}
	// A right password on one server clears the pair's failures for both.
	wait(t, ls[0], "liaison", "192.0.2.1")
	if err := ls[1].succeeded(context.Background(), res, "liaison", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	for i := range loginMaxPerPair {
		if w := wait(t, ls[i%2], "liaison", "192.0.2.1"); w != 0 {
			t.Fatalf("failure %d after a successful sign-in refused for %s", i+1, w)
		}
	}
}

// TestLoginLimiterAcrossServers: five failures at one server and the sixth at the other
// are one count: the other server refuses it.
func TestLoginLimiterAcrossServers(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	ls, _ := limiters(t, 2, clock)
	for i := range loginMaxPerPair {
		if w := wait(t, ls[0], "analyst", "192.0.2.1"); w != 0 {
			t.Fatalf("failure %d refused already (wait %s)", i+1, w)
		}
	}
	if w := wait(t, ls[1], "analyst", "192.0.2.1"); w <= 0 || w > 5*time.Minute {
		t.Fatalf("the other server after %d failures at the first: wait %s, want up to 5 minutes", loginMaxPerPair, w)
	}
}

// TestLoginLimiterPerUserAndAddress: failures lock one user out from one address only. The
// same address still signs other users in (a desk behind one proxy), the same user still
// signs in from elsewhere, and an attack spread over many addresses does not refuse the
// user's own address.
func TestLoginLimiterPerUserAndAddress(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	ls, _ := limiters(t, 1, clock)
	l := ls[0]
	for i := range loginMaxPerPair {
		if w := wait(t, l, "analyst", "192.0.2.1"); w != 0 {
			t.Fatalf("failure %d refused already (wait %s)", i+1, w)
		}
	}
	if w := wait(t, l, "analyst", "192.0.2.1"); w <= 0 || w > 5*time.Minute {
		t.Fatalf("analyst from the same address after %d failures: wait %s, want up to 5 minutes", loginMaxPerPair, w)
	}
	if w := wait(t, l, "liaison", "192.0.2.1"); w != 0 {
		t.Errorf("another user from the same address is refused for %s", w)
	}
	if w := wait(t, l, "analyst", "198.51.100.7"); w != 0 {
		t.Errorf("the same user from another address is refused for %s", w)
	}
	// Many addresses guessing one user's password tighten each address's allowance...
	for i := range loginMaxPerUser {
		wait(t, l, "supervisor", fmt.Sprintf("203.0.113.%d", i))
	}
	if w := wait(t, l, "supervisor", "203.0.113.1"); w == 0 {
		t.Error("an address that already failed for a user under attack may guess again")
	}
	// ...but not the user's own, which has not failed.
	if w := wait(t, l, "supervisor", "192.0.2.200"); w != 0 {
		t.Errorf("the user's own address is refused for %s because of others' failures", w)
	}
	// One address guessing across many users meets the address limit.
	for i := range loginMaxPerAddress {
		wait(t, l, fmt.Sprintf("user%d", i), "192.0.2.99")
	}
	if w := wait(t, l, "liaison", "192.0.2.99"); w == 0 {
		t.Error("an address spraying many usernames is never refused")
	}
}

// TestLoginLimiterBounded: unknown, over-long usernames cost the limiter one short key,
// and expired failures are deleted.
func TestLoginLimiterBounded(t *testing.T) {
	clock := app.NewSimClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	ls, path := limiters(t, 1, clock)
	huge := strings.Repeat("x", 1<<20)
	for i := range 20 {
		wait(t, ls[0], huge+strconv.Itoa(i), fmt.Sprintf("192.0.2.%d", i))
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var longest, rows int
	if err := db.QueryRow("SELECT max(length(limit_key)), count(*) FROM login_failures").Scan(&longest, &rows); err != nil {
		t.Fatal(err)
	}
	if longest > 64 || rows != 60 {
		t.Fatalf("20 over-long usernames left %d failures with keys up to %d bytes, want 60 short ones", rows, longest)
	}
	clock.Advance(6 * time.Minute)
	wait(t, ls[0], "liaison", "192.0.2.1")
	if err := db.QueryRow("SELECT count(*) FROM login_failures").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Fatalf("%d failures left after every earlier one expired, want only the last attempt's 3", rows)
	}
}
