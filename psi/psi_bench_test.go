package psi

import (
	"fmt"
	"testing"

	"github.com/forewarn/forewarn/match"
)

// BenchmarkQuery100 is the group arithmetic of one private query of 100 persons against
// a set of 600,000 fingerprints (100,000 subjects): the asker's blinding and unblinding
// and the holder's evaluation, with no network and no store; BenchmarkPrivateQuery in
// cmd/forewarn measures the whole exchange over HTTP.
func BenchmarkQuery100(b *testing.B) {
	s := testSecret(b, "2015-06-01")
	fps := make([]uint64, 600_000)
	for i := range fps {
		fps[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	set := NewSet(fps)
	var persons []match.Person
	for i := range 100 {
		persons = append(persons, match.Person{Names: []string{fmt.Sprintf("Omar Ismail Mostefai%c%c", 'a'+i%26, 'a'+i/26)}, BirthDate: "1985"})
	}
	for b.Loop() {
		q, err := NewQuery(persons)
		if err != nil {
			b.Fatal(err)
		}
		ev, err := s.Evaluate(q.Blinded())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := q.Finish(ev, set); err != nil {
			b.Fatal(err)
		}
	}
}
