package testdata

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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

// TestEveryPackageThatSkipsSaysSo: a package whose tests can skip (no shared test data, no
// PostgreSQL, no Chromium, no Mailpit) runs them through Main, so 'go test ./...' prints
// what it skipped and how to run it; without Main its skips pass silently.
func TestEveryPackageThatSkipsSaysSo(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	skips := regexp.MustCompile(`\btestdata\.(Skip|Dir|Path)\(|\bmailpit\.Start\(`)
	hasMain := regexp.MustCompile(`func TestMain\(m \*testing\.M\) \{[^}]*testdata\.Main\(m\)`)
	dirs := map[string][2]bool{} // dir → {skips, has Main}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" && path != filepath.Join(root, "internal", "testdata")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		v := dirs[dir]
		v[0] = v[0] || skips.Match(src)
		v[1] = v[1] || hasMain.Match(src)
		dirs[dir] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("found tests in only %d folders under %s", len(dirs), root)
	}
	for dir, v := range dirs {
		rel, _ := filepath.Rel(root, dir)
		if v[0] && !v[1] && rel != filepath.Join("internal", "testdata") {
			t.Errorf("%s has tests that can skip but no TestMain calling testdata.Main, so 'go test ./...' would not say they skipped", rel)
		}
	}
}
