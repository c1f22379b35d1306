// Package testdata finds the shared third-party test data (../shared/testdata beside the
// project root) for tests and benchmarks, so that no test copies it into the repository.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names the environment variable that overrides where the shared test data lives.
const EnvDir = "FOREWARN_TESTDATA"

// Find returns the shared test data directory, or "" when it cannot be found.
// FOREWARN_TESTDATA wins; otherwise it looks for shared/testdata beside each parent
// of the working directory, which finds ../shared/testdata from any package.
func Find() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "testdata")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Dir returns the shared test data directory for a test or benchmark. When it is absent
// the test is skipped with a message saying how to provide it, except under CI=true,
// where a missing data set is a failure.
func Dir(tb testing.TB) string {
	tb.Helper()
	d := Find()
	if d != "" {
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	msg := "shared test data not found: put it at ../shared/testdata beside the project root or set " + EnvDir
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	Skip(tb, "shared test data not found", "put it at ../shared/testdata beside the project root or set "+EnvDir)
	return ""
}

// Path returns a file inside the shared test data directory (see Dir).
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared test file missing: %s", p)
		}
		Skip(tb, "shared test file missing", "add "+p)
	}
	return p
}
