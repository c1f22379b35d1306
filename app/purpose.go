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
	return n.RememberedPurposeFor(ctx, username, "subject.read", "subject", subjectID)
}

// RememberedPurposeFor is RememberedPurpose for any consultation: the purpose username
// last gave, within RememberFor, in an audit entry of action on the object (objectID ""
// for a list: any object), read back from the audit trail.
func (n *Node) RememberedPurposeFor(ctx context.Context, username, action, objectType, objectID string) (forewarn.Purpose, bool, error) {
	since := n.Clock.Now().Add(-RememberFor)
	entries, err := n.Store.AuditEntries(ctx, forewarn.AuditFilter{ActorID: username, Action: action, ObjectType: objectType, ObjectID: objectID, Since: since, Newest: true, Limit: 1000})
	if err != nil {
		return forewarn.Purpose{}, false, err
	}
	for _, e := range entries {
		if e.Actor.Kind != forewarn.ActorUser {
			continue
		}
		if _, after, ok := strings.Cut(e.Detail, "purpose: "); ok {
			return forewarn.ParsePurpose(after), true, nil
		}
	}
	return forewarn.Purpose{}, false, nil
}

// PersonsNeedPurpose says whether showing sm shows persons another agency sent: a
// received message that names persons, which is opened only for a purpose, like a subject.
func PersonsNeedPurpose(sm *forewarn.StoredMessage) bool {
	return sm != nil && sm.Direction == forewarn.DirectionIn && len(sm.Message.Persons()) > 0
}

// WithholdPersons returns sm without the persons it names when they need a purpose
// (PersonsNeedPurpose), and its matches without what names them (WithholdMatchDetails);
// sm itself is left as it was.
func WithholdPersons(sm *forewarn.StoredMessage) *forewarn.StoredMessage {
	if !PersonsNeedPurpose(sm) {
		return sm
	}
	c, m := *sm, *sm.Message
	switch {
	case m.Request != nil:
		r := *m.Request
		r.Persons, m.Request = nil, &r
	case m.Notification != nil:
		nt := *m.Notification
		nt.Persons, m.Notification = nil, &nt
	case m.Response != nil:
		r := *m.Response
		r.Persons, m.Response = nil, &r
	}
	c.Message, c.Matches = &m, WithholdMatchDetails(sm.Matches)
	return &c
}

// ShownMessages returns list as a consultation may see it: as it is when ctx carries a
// purpose or the node's policy shows lists without one (SearchDetailsWithheld), and
// otherwise with the persons of received messages withheld (WithholdPersons), with how
// many messages were.
func (n *Node) ShownMessages(ctx context.Context, list []*forewarn.StoredMessage) ([]*forewarn.StoredMessage, int, error) {
	if withhold, err := n.SearchDetailsWithheld(ctx); err != nil || !withhold {
		return list, 0, err
	}
	out, withheld := make([]*forewarn.StoredMessage, len(list)), 0
	for i, sm := range list {
		if out[i] = WithholdPersons(sm); out[i] != sm {
			withheld++
		}
	}
	return out, withheld, nil
}

// WithholdMatchDetails returns copies of ms without what names the persons they pair (the
// summary, the explanation and the reason), keeping the score and the status.
func WithholdMatchDetails(ms []*forewarn.Match) []*forewarn.Match {
	if ms == nil {
		return nil
	}
	out := make([]*forewarn.Match, len(ms))
	for i, x := range ms {
		y := *x
		y.Summary, y.Explanation, y.Reason = "", nil, ""
		out[i] = &y
	}
	return out
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

// AlertNamesPersons says whether an alert's text names persons: a match's (the person a
// message describes and the subject or earlier person it matched) and a private match's.
func AlertNamesPersons(a *forewarn.Alert) bool {
	return a.Kind == "match" || a.Kind == "private_match"
}

// WithheldAlertText stands in an alert's text that names persons, read without a purpose.
const WithheldAlertText = "A person matched someone this node holds or was told about: who is withheld until a purpose is given."

// WithholdAlerts returns alerts with the text of those that name persons replaced by
// WithheldAlertText, and how many were; alerts itself is left as it was.
func WithholdAlerts(alerts []*forewarn.Alert) ([]*forewarn.Alert, int) {
	out, n := make([]*forewarn.Alert, len(alerts)), 0
	for i, a := range alerts {
		out[i] = a
		if AlertNamesPersons(a) {
			c := *a
			c.Text, c.Phrase, out[i] = WithheldAlertText, forewarn.Phrase{}, &c
			n++
		}
	}
	return out, n
}

// WithholdSubjects returns copies of subjects with only what does not say who they are:
// the ID (opening one asks for a purpose), the watch status and the times.
func WithholdSubjects(subjects []*forewarn.Subject) []*forewarn.Subject {
	out := make([]*forewarn.Subject, len(subjects))
	for i, s := range subjects {
		out[i] = &forewarn.Subject{ID: s.ID, Watch: s.Watch, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	}
	return out
}
