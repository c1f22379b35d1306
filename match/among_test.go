package match_test

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/match/eval"
)

// SearchAmong scores, explains and ranks the entries it is given exactly as a search of
// the whole index does: given a search's hits, in any order, repeated, and beside an ID
// the index does not hold, it returns those hits, identical and in the same order. And
// SearchAbove a threshold at or above the default finds a search's hits above it.
func TestSearchAmongAndAboveAgreeWithSearch(t *testing.T) {
	entries, aliases, err := eval.LoadOFACDir(testdata.Path(t, "names", "ofac"))
	if err != nil {
		t.Fatal(err)
	}
	// With their aliases, so that an entry has names the query reaches and names it
	// does not, which a search tells apart.
	byID := map[string]*match.Entry{}
	for i := range entries {
		byID[entries[i].ID] = &entries[i]
	}
	for _, a := range aliases {
		if e := byID[a.EntryID]; e != nil {
			e.Person.Names = append(slices.Clip(e.Person.Names), a.Name)
		}
	}
	ix := match.NewIndex()
	if err := ix.AddAll(entries); err != nil {
		t.Fatal(err)
	}
	found := 0
	for i, name := range eval.Queries(entries, 400, 5) {
		q := match.Person{Names: []string{name}}
		if i%3 == 0 {
			// Some with a birth date, which moves scores across the threshold.
			q.BirthDate = entries[i%len(entries)].Person.BirthDate
		}
		pq := match.PreparePerson(q)
		hits := ix.Search(q, 10)
		ids := []string{"no such entry"}
		for _, h := range slices.Backward(hits) {
			ids = append(ids, h.ID)
		}
		if len(hits) > 0 {
			ids = append(ids, hits[0].ID)
		}
		if got := ix.SearchAmong(&pq, ids, math.Inf(-1)); !reflect.DeepEqual(got, hits) {
			t.Fatalf("%+v: SearchAmong(its hits) =\n%+v\nwant\n%+v", q, got, hits)
		}
		var above []match.Hit
		for _, h := range hits {
			if h.Score >= match.DefaultThreshold {
				above = append(above, h)
			}
		}
		found += len(above)
		// Above the default threshold, SearchAbove keeps exactly the hits a search
		// finds there, unexplained below: the candidates above it rank first.
		for _, min := range []float64{match.DefaultThreshold, match.DefaultThreshold + 0.07} {
			var want []match.Hit
			for _, h := range hits {
				if h.Score >= min {
					want = append(want, h)
				}
			}
			if got := ix.SearchAbove(q, 10, min); !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v: SearchAbove(%.2f) = %+v, want the search's hits at or above it %+v", q, min, got, want)
			}
		}
		if got := ix.SearchAmong(&pq, ids, match.DefaultThreshold); !reflect.DeepEqual(got, above) {
			t.Fatalf("%+v: SearchAmong(its hits, threshold) = %+v, want %+v", q, got, above)
		}
	}
	if found < 100 {
		t.Fatalf("only %d hits at or above the threshold in 400 queries: the test compares too little", found)
	}
	if got := ix.SearchAmong(&match.PreparedPerson{}, nil, 0); got != nil {
		t.Errorf("SearchAmong(no IDs) = %v, want nil", got)
	}
}
