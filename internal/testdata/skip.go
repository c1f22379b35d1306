package testdata

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// skips counts, per reason, the tests a package skipped through Skip.
var skips = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

// Skip skips the test, saying why and how to run it, and counts it for the summary Main
// prints when the package's tests end.
func Skip(tb testing.TB, why, enable string) {
	tb.Helper()
	msg := why + ": " + enable
	skips.Lock()
	skips.n[msg]++
	skips.Unlock()
	tb.Skip(msg)
}

// atExit holds what Main runs after the package's tests, last registered first.
var atExit struct {
	sync.Mutex
	fs []func()
}

// AtExit has Main run f once the package's tests have ended: the release of something
// its tests share, such as one browser, which no test's Cleanup may close.
func AtExit(f func()) {
	atExit.Lock()
	atExit.fs = append(atExit.fs, f)
	atExit.Unlock()
}

// Main runs a package's tests, then what AtExit registered, then prints one line per reason for the tests it skipped
// through Skip, with how to enable them ("SKIPPED 31 tests in postgres: …"). 'go test
// ./...' shows nothing of a package that passed, so without -v the line also goes to the
// terminal when there is one: a suite that did not run must not look like one that passed.
func Main(m *testing.M) {
	code := m.Run()
	atExit.Lock()
	for i := len(atExit.fs) - 1; i >= 0; i-- {
		atExit.fs[i]()
	}
	atExit.Unlock()
	report(os.Stdout)
	if !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			report(tty)
			tty.Close()
		}
	}
	os.Exit(code)
}

func report(w io.Writer) {
	skips.Lock()
	defer skips.Unlock()
	reasons := make([]string, 0, len(skips.n))
	for r := range skips.n {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	pkg := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	for _, r := range reasons {
		n := skips.n[r]
		tests := "tests"
		if n == 1 {
			tests = "test"
		}
		fmt.Fprintf(w, "SKIPPED %d %s in %s: %s\n", n, tests, pkg, r)
	}
}
