package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// SearchResult is one person found by a fuzzy search: a subject the agency holds or a
// person described in a message it received, with the score and why.
type SearchResult struct {
	Kind        string            `json:"kind"` // "subject" or "person"
	SubjectID   string            `json:"subject_id,omitempty"`
	MessageID   string            `json:"message_id,omitempty"`
	PersonRef   string            `json:"person_ref,omitempty"`
	Name        string            `json:"name"`
	Watchlisted bool              `json:"watchlisted,omitempty"`
	Score       float64           `json:"score"`
	Summary     string            `json:"summary"`
	Explanation match.Explanation `json:"explanation"`
}

// MaxSearchResults bounds one search.
const MaxSearchResults = 100

// Search finds subjects and received persons like the query, best first, each explained.
// minScore 0 returns the best k whatever their score. The search is audited: who looked
// for whom is what oversight asks.
func (n *Node) Search(ctx context.Context, actor forewarn.Actor, q match.Person, k int, minScore float64) ([]SearchResult, error) {
	if strings.TrimSpace(strings.Join(q.Names, "")) == "" {
		return nil, forewarn.Invalid("name", "required", "give a name to search for")
	}
	if k < 1 || k > MaxSearchResults {
		k = 20
	}
	if n.Matcher == nil {
		return nil, forewarn.Errorf(forewarn.EINTERNAL, "the match index is not loaded")
	}
	if _, err := n.Matcher.CatchUp(ctx); err != nil {
		return nil, err
	}
	if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: "person.search", ObjectType: "person", Detail: searchDetail(q)}); err != nil {
		return nil, err
	}
	var out []SearchResult
	for _, h := range n.Matcher.Index.Search(q, k) {
		if h.Score < minScore {
			continue
		}
		r := SearchResult{Score: h.Score, Summary: Summary(h.Explanation), Explanation: h.Explanation, Name: h.MatchedName}
		if id, ok := strings.CutPrefix(h.ID, subjectPrefix); ok {
			si, _ := n.Matcher.subject(id)
			r.Kind, r.SubjectID, r.Watchlisted = "subject", id, si.watchlisted
			if r.Name == "" {
				r.Name = si.name
			}
		} else if mid, ref, ok := parsePersonKey(h.ID); ok {
			r.Kind, r.MessageID, r.PersonRef = "person", mid, ref
		} else {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// searchDetail is what the trail keeps of a search: a digest of what was asked, never the
// names themselves, so an erased person leaves no name in the trail; whoever holds a name
// can still prove it was searched by recomputing the digest.
func searchDetail(q match.Person) string {
	return fmt.Sprintf("query sha256:%s (%d names, birth date given: %t)", forewarn.Digest(map[string]any{"names": q.Names, "birth_date": q.BirthDate}), len(q.Names), q.BirthDate != "")
}
