package forewarn

import (
	"sort"
)

// ConflictKind says how claims disagree.
type ConflictKind string

// The kinds of conflict the node flags.
const (
	// ConflictContradiction: claims of the same kind about the same thing disagree on
	// when (two different years for one entry into a country).
	ConflictContradiction ConflictKind = "contradiction"
	// ConflictNoExit: an entry into a country with no later exit on record, or with a
	// negative claim saying there is none.
	ConflictNoExit ConflictKind = "no_exit_record"
)

// Conflict is a set of claims an analyst must look at side by side. Nothing is resolved
// automatically: an analyst may mark one claim preferred, with a reason.
type Conflict struct {
	Kind     ConflictKind `json:"kind"`
	ClaimIDs []string     `json:"claim_ids"`
	Text     string       `json:"text"` // in English
	// Phrase is Text as a code and arguments, for the pages to say in the reader's language.
	Phrase
	// Preferred is the claim an analyst marked preferred among these, if any.
	Preferred string `json:"preferred,omitempty"`
}

// ClaimConflicts finds the conflicts among a subject's claims:
//   - travel entries into the same country, from different sources, whose dates cannot be
//     the same journey (their periods do not overlap), when no exit separates them;
//   - an entry into a country with no positive exit from it afterwards ("entered TR 2013,
//     no exit record"), flagged more strongly when a negative claim asserts there is none.
func ClaimConflicts(claims []*Claim) []Conflict {
	var out []Conflict
	byCountry := map[string][]*Claim{}
	for _, c := range claims {
		if c.Kind == ClaimTravelEntry || c.Kind == ClaimTravelExit {
			byCountry[c.Value] = append(byCountry[c.Value], c)
		}
	}
	countries := make([]string, 0, len(byCountry))
	for k := range byCountry {
		countries = append(countries, k)
	}
	sort.Strings(countries)
	for _, country := range countries {
		cs := byCountry[country]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].ValidFrom.Start().Before(cs[j].ValidFrom.Start()) })
		var entries, exits, noExit []*Claim
		for _, c := range cs {
			switch {
			case c.Kind == ClaimTravelEntry && !c.Negative:
				entries = append(entries, c)
			case c.Kind == ClaimTravelExit && c.Negative:
				noExit = append(noExit, c)
			case c.Kind == ClaimTravelExit:
				exits = append(exits, c)
			}
		}
		out = append(out, entryContradictions(country, entries, exits)...)
		if len(entries) == 0 {
			continue
		}
		last := entries[len(entries)-1]
		exited := false
		for _, x := range exits {
			if !x.ValidFrom.IsZero() && !x.ValidFrom.End().Before(last.ValidFrom.Start()) {
				exited = true
			}
		}
		if exited {
			continue
		}
		ids := []string{last.ID}
		p := Say(PhraseConflictNoExit, TextArg(country), PartialDateArg(last.ValidFrom), TextArg(last.Source.String()))
		var stated []Phrase
		for _, n := range noExit {
			ids = append(ids, n.ID)
			stated = append(stated, Say(PhraseConflictStatesNone, TextArg(n.Source.String())))
		}
		if len(stated) > 0 {
			p = Say(PhraseConflictNoExitStated, append(p.Args, PhrasesArg(stated...))...)
		}
		out = append(out, Conflict{Kind: ConflictNoExit, ClaimIDs: ids, Text: p.English(), Phrase: p})
	}
	for i := range out {
		for _, c := range claims {
			for _, id := range out[i].ClaimIDs {
				if c.ID == id && c.Preferred {
					out[i].Preferred = c.ID
				}
			}
		}
	}
	return out
}

// entryContradictions pairs entries into one country whose dates disagree and that no
// recorded exit separates: two accounts of the same journey, not two journeys.
func entryContradictions(country string, entries, exits []*Claim) []Conflict {
	var out []Conflict
	for i := 0; i < len(entries); i++ {
		for j := i + 1; j < len(entries); j++ {
			a, b := entries[i], entries[j]
			if a.ValidFrom.IsZero() || b.ValidFrom.IsZero() || overlaps(a.ValidFrom, b.ValidFrom) {
				continue
			}
			separated := false
			for _, x := range exits {
				if !x.ValidFrom.IsZero() && !x.ValidFrom.End().Before(a.ValidFrom.Start()) && x.ValidFrom.Start().Before(b.ValidFrom.End()) {
					separated = true
				}
			}
			if separated {
				continue
			}
			p := Say(PhraseConflictContradiction, TextArg(country), TextArg(a.Source.String()), PartialDateArg(a.ValidFrom), TextArg(a.Grading.String()),
				TextArg(b.Source.String()), PartialDateArg(b.ValidFrom), TextArg(b.Grading.String()))
			out = append(out, Conflict{Kind: ConflictContradiction, ClaimIDs: []string{a.ID, b.ID}, Text: p.English(), Phrase: p})
		}
	}
	return out
}

func overlaps(a, b PartialDate) bool {
	return a.Start().Before(b.End()) && b.Start().Before(a.End())
}
