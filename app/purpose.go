package app

import (
	"context"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// Consult checks pu against the node's purposes of access and returns ctx carrying it, so
// that every audit entry of the consultation it serves records why (see
// forewarn.WithPurpose); EINVALID naming "purpose" or "purpose_text" when it is missing,
// unknown or lacks the free text its purpose requires.
func (n *Node) Consult(ctx context.Context, pu forewarn.Purpose) (context.Context, error) {
	policy, err := n.Store.PurposePolicy(ctx)
	if err != nil {
		return ctx, err
	}
	pu, err = policy.Check(pu)
	if err != nil {
		return ctx, err
	}
	return forewarn.WithPurpose(ctx, pu), nil
}

// RememberFor is how long a purpose given for a subject is remembered for the same user
// on the pages, so that an officer working on a person is asked once, not on every click.
const RememberFor = 30 * time.Minute

// RememberedPurpose returns the purpose username gave when they last opened the subject,
// if that was within RememberFor: it is read from the audit trail (the subject.read entry
// that recorded it), so every server of the node remembers the same, and nothing is kept
// beside the store.
func (n *Node) RememberedPurpose(ctx context.Context, username, subjectID string) (forewarn.Purpose, bool, error) {
	since := n.Clock.Now().Add(-RememberFor)
	entries, err := n.Store.AuditEntries(ctx, forewarn.AuditFilter{ActorID: username, Action: "subject.read", ObjectType: "subject", ObjectID: subjectID, Since: since, Limit: 1000})
	if err != nil {
		return forewarn.Purpose{}, false, err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Actor.Kind != forewarn.ActorUser {
			continue
		}
		if _, after, ok := strings.Cut(e.Detail, "purpose: "); ok {
			return forewarn.ParsePurpose(after), true, nil
		}
	}
	return forewarn.Purpose{}, false, nil
}

// SearchDetailsWithheld reports whether search results must be shown without personal
// details: the node's policy asks for a purpose before them and ctx carries none.
func (n *Node) SearchDetailsWithheld(ctx context.Context) (bool, error) {
	if _, ok := forewarn.PurposeFrom(ctx); ok {
		return false, nil
	}
	policy, err := n.Store.PurposePolicy(ctx)
	if err != nil {
		return false, err
	}
	return policy.SearchNeedsPurpose, nil
}

// WithholdSearchDetails blanks, in place, what search results say about each person (the
// name, the summary, the explanation), leaving the kind and the score: how many were
// found and how well they match, which is what decides whether to give a purpose.
func WithholdSearchDetails(rs []SearchResult) {
	for i := range rs {
		rs[i].Name, rs[i].Summary, rs[i].Explanation, rs[i].SubjectID, rs[i].MessageID, rs[i].PersonRef = "", "", match.Explanation{}, "", "", ""
	}
}
