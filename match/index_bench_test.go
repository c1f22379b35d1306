package match_test

import (
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/match/eval"
)

func ofacEntries(b *testing.B) []match.Entry {
	b.Helper()
	entries, _, err := eval.LoadOFACDir(testdata.Path(b, "names", "ofac"))
	if err != nil {
		b.Fatal(err)
	}
	return entries
}

func benchSearch(b *testing.B, entries []match.Entry) {
	ix := match.NewIndex()
	for _, e := range entries {
		if err := ix.Add(e); err != nil {
			b.Fatal(err)
		}
	}
	queries := eval.Queries(entries, 4096, 7)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			ix.SearchName(queries[i%len(queries)], 10)
			i++
		}
	})
}

// BenchmarkSearchOFAC measures top-10 searches on the 4,620 OFAC individuals
// (run with -cpu 1,2 for the one- and two-core figures).
func BenchmarkSearchOFAC(b *testing.B) { benchSearch(b, ofacEntries(b)) }

// BenchmarkSearch1M measures searches on 1,000,000 generated entries; generating and
// indexing them takes about ten seconds before the timer starts.
func BenchmarkSearch1M(b *testing.B) {
	benchSearch(b, eval.Synthetic(ofacEntries(b), 1_000_000, 11))
}

func BenchmarkCompareNames(b *testing.B) {
	for range b.N {
		match.CompareNames("Omar Ismail Mostefai", "Ismaël Omar Mostefaï")
	}
}

func BenchmarkBuildOFAC(b *testing.B) {
	entries := ofacEntries(b)
	b.ResetTimer()
	for range b.N {
		ix := match.NewIndex()
		for _, e := range entries {
			_ = ix.Add(e)
		}
	}
}

// ofacWithAliases is the OFAC individuals with every alias as a further name, as forewarn
// screen's benchmark list holds them.
func ofacWithAliases(b *testing.B) []match.Entry {
	b.Helper()
	entries, aliases, err := eval.LoadOFACDir(testdata.Path(b, "names", "ofac"))
	if err != nil {
		b.Fatal(err)
	}
	at := map[string]int{}
	for i, e := range entries {
		at[e.ID] = i
	}
	for _, a := range aliases {
		if i, ok := at[a.EntryID]; ok {
			entries[i].Person.Names = append(entries[i].Person.Names, a.Name)
		}
	}
	return entries
}

// BenchmarkAddAllOFAC measures loading the OFAC individuals with all their aliases at
// once, as forewarn screen loads a list (run with -cpu 1,2: only preparing is parallel).
func BenchmarkAddAllOFAC(b *testing.B) {
	entries := ofacWithAliases(b)
	b.ResetTimer()
	for range b.N {
		if err := match.NewIndex().AddAll(entries); err != nil {
			b.Fatal(err)
		}
	}
}
