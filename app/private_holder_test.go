package app

import (
	"slices"
	"testing"

	"github.com/forewarn/forewarn"
)

// TestHolderPersonKeepsOwnNames: the names a node answers private queries about are its
// own; an alias another agency sent makes no key, while a name from a dataset or this
// node itself does.
func TestHolderPersonKeepsOwnNames(t *testing.T) {
	s := &forewarn.Subject{Names: []forewarn.Name{
		{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary},
		{Value: "Omar Ismail Mostefai", Kind: forewarn.NameAlias, Source: "TR-MIT"},
		{Value: "Abu Omar", Kind: forewarn.NameAlias, Source: "FR-DGSI"},
		{Value: "Omar Mostefai", Kind: forewarn.NameAlias, Source: "informant 7"},
	}, BirthDate: forewarn.PartialDate{Year: 1985}}
	p := holderPerson(s, "FR-DGSI")
	want := []string{"Ismaël Omar Mostefaï", "Abu Omar", "Omar Mostefai"}
	if !slices.Equal(p.Names, want) || p.BirthDate != "1985" {
		t.Fatalf("holder person = %+v, want names %q born 1985", p, want)
	}
	if len(s.Names) != 4 {
		t.Fatalf("holderPerson changed the subject: %+v", s.Names)
	}
}
