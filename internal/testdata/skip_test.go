package testdata

import (
	"strings"
	"testing"
)

// Finding 13 of issue 14: a skipped test is counted and the package's summary says how to
// enable it.
func TestSkipIsSummarised(t *testing.T) {
	for i := 0; i < 2; i++ {
		t.Run("needs a server", func(t *testing.T) {
			Skip(t, "example suite", "set EXAMPLE_DSN to run it")
			t.Error("Skip did not stop the test")
		})
	}
	var b strings.Builder
	report(&b)
	if want := "SKIPPED 2 tests in testdata: example suite: set EXAMPLE_DSN to run it\n"; b.String() != want {
		t.Errorf("summary = %q", b.String())
	}
}
