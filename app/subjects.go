package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
)

// CreateSubject adds a subject and shows what the node was told about the person before:
// every earlier message describing someone who matches ("you were told about this person
// before"), which it also records as matches for review.
func (ms *Messages) CreateSubject(ctx context.Context, actor forewarn.Actor, s *forewarn.Subject) ([]EarlierMention, error) {
	if err := ms.Store.CreateSubject(ctx, actor, s); err != nil {
		return nil, err
	}
	return ms.RetroMatch(ctx, actor, s)
}

// UpdateSubject edits a subject and, as CreateSubject does, looks back for earlier
// messages about the person it now describes.
func (ms *Messages) UpdateSubject(ctx context.Context, actor forewarn.Actor, s *forewarn.Subject) ([]EarlierMention, error) {
	if err := ms.Store.UpdateSubject(ctx, actor, s); err != nil {
		return nil, err
	}
	return ms.RetroMatch(ctx, actor, s)
}

// CheckDraft compares the persons of a message being drafted with the agency's subjects
// and every message received before, without storing anything: what the compose page
// shows while the liaison officer types. What it finds is personal data the actor is
// shown, so a check that finds anything is audited ("draft.check").
func (ms *Messages) CheckDraft(ctx context.Context, actor forewarn.Actor, persons []forewarn.PersonDescriptor) ([]DraftHit, error) {
	if ms.Matcher == nil {
		return nil, nil
	}
	if _, err := ms.Matcher.CatchUp(ctx); err != nil {
		return nil, err
	}
	var out []DraftHit
	for i := range persons {
		for _, h := range ms.Matcher.search(descriptorPerson(&persons[i]), ms.Matcher.Candidates) {
			dh := DraftHit{PersonRef: persons[i].Ref, Score: h.score, Summary: Summary(h.explanation), Explanation: h.explanation}
			if h.subjectID != "" {
				si, _ := ms.Matcher.subject(h.subjectID)
				dh.SubjectID, dh.SubjectName, dh.Watchlisted = h.subjectID, si.name, si.watchlisted
			} else {
				sm, err := ms.Store.Message(ctx, h.earlierMessageID)
				if err != nil {
					return nil, err
				}
				dh.Message = sm.Message
				if len(sm.Deliveries) > 0 {
					dh.Status, dh.Delivery = sm.Deliveries[0].Status(), sm.Deliveries[0]
				}
			}
			out = append(out, dh)
		}
	}
	if len(out) > 0 {
		shown := make([]string, len(out))
		for i, h := range out {
			if h.SubjectID != "" {
				shown[i] = "subject " + h.SubjectID
			} else if h.Message != nil {
				shown[i] = "message " + h.Message.ID
			}
		}
		e := &forewarn.AuditEntry{Actor: actor, Action: "draft.check", ObjectType: "draft",
			Detail: forewarn.AuditText(fmt.Sprintf("a check of %d drafted persons showed %d hits: %s", len(persons), len(out), strings.Join(shown, ", ")), 1000)}
		if err := ms.Store.RecordAudit(ctx, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DraftHit is one match of a drafted person: a subject the agency holds, or an earlier
// message it received.
type DraftHit struct {
	PersonRef   string            `json:"person_ref"`
	Score       float64           `json:"score"`
	Summary     string            `json:"summary"`
	Explanation any               `json:"explanation"`
	SubjectID   string            `json:"subject_id,omitempty"`
	SubjectName string            `json:"subject_name,omitempty"`
	Watchlisted bool              `json:"watchlisted,omitempty"`
	Message     *forewarn.Message `json:"message,omitempty"`
	Status      string            `json:"status,omitempty"`
	// Delivery is what Status says in English, for pages in other languages.
	Delivery *forewarn.Delivery `json:"-"`
}

// ConfirmMatch records an analyst's decision that a described person is the subject, and
// merges the description into the subject's record without overwriting anything: its
// names become aliases with the sender as source, and what it said (birth date,
// nationalities, documents, travel and other facts) becomes sourced claims.
func (ms *Messages) ConfirmMatch(ctx context.Context, actor forewarn.Actor, matchID, reason string) error {
	m, err := ms.Store.Match(ctx, matchID)
	if err != nil {
		return err
	}
	if m.SubjectID == "" {
		return forewarn.Invalid("match", "subject", "this match links two messages, not a message and a subject; confirm it from a subject")
	}
	sm, err := ms.Store.Message(ctx, m.MessageID)
	if err != nil {
		return err
	}
	var d *forewarn.PersonDescriptor
	ps := sm.Message.Persons()
	for i := range ps {
		if ps[i].Ref == m.PersonRef {
			d = &ps[i]
		}
	}
	if d == nil {
		return forewarn.Errorf(forewarn.ENOTFOUND, "message %s has no person %q", m.MessageID, m.PersonRef)
	}
	from := sm.Message.From
	var aliases []forewarn.Name
	for _, n := range d.Names {
		aliases = append(aliases, forewarn.Name{Value: n.Value, Kind: forewarn.NameAlias, Script: n.Script, Lang: n.Lang, Source: from})
	}
	// What the sender states without grading it is graded F6: reliability and
	// credibility cannot be judged, which is the honest default.
	ungraded := forewarn.Grading{Reliability: "F", Credibility: 6}
	var claims []*forewarn.Claim
	attr := func(value string) {
		claims = append(claims, &forewarn.Claim{SubjectID: m.SubjectID, Kind: forewarn.ClaimAttribute, Value: value,
			Source: forewarn.Source{Agency: from}, Grading: ungraded, MessageID: sm.Message.ID})
	}
	if !d.BirthDate.IsZero() {
		attr("birth_date: " + d.BirthDate.String())
	}
	for _, c := range d.Nationalities {
		attr("nationality: " + c)
	}
	if d.Birthplace != "" {
		attr("birthplace: " + d.Birthplace)
	}
	for _, doc := range d.Documents {
		claims = append(claims, &forewarn.Claim{SubjectID: m.SubjectID, Kind: forewarn.ClaimDocument,
			Value: fmt.Sprintf("%s %s %s", doc.Kind, doc.Number, doc.Country), Source: forewarn.Source{Agency: from}, Grading: ungraded, MessageID: sm.Message.ID})
	}
	for _, pc := range d.Claims {
		src := pc.Source
		if src.Agency == "" && src.Name == "" {
			src.Agency = from
		}
		claims = append(claims, &forewarn.Claim{SubjectID: m.SubjectID, Kind: pc.Kind, Value: pc.Value, ValidFrom: pc.ValidFrom, ValidTo: pc.ValidTo,
			Source: src, Grading: pc.Grading, Negative: pc.Negative, Note: pc.Note, MessageID: sm.Message.ID})
	}
	if err := ms.Store.ConfirmMatch(ctx, actor, matchID, reason, aliases, claims); err != nil {
		return err
	}
	// The subject now answers to the sender's spellings too: index them, by catching up
	// with the store; an index that follows no store reads the subject (audited as the
	// node's own read).
	if ms.Matcher != nil && ms.Matcher.feed != nil {
		_, err := ms.Matcher.CatchUp(ctx)
		return err
	}
	if ms.Matcher != nil {
		s, err := ms.Store.Subject(ctx, forewarn.SystemActor("matcher"), m.SubjectID)
		if err != nil {
			return err
		}
		ms.Matcher.AddSubject(s)
	}
	return nil
}

// SubjectDetail is everything the subject page shows.
type SubjectDetail struct {
	Subject      *forewarn.Subject       `json:"subject"`
	Claims       []*forewarn.Claim       `json:"claims"`
	Conflicts    []forewarn.Conflict     `json:"conflicts"`
	Associations []*forewarn.Association `json:"associations"`
	Matches      []*forewarn.Match       `json:"matches"`
	// Withheld, in an answer to another program, lists the messages whose content was
	// left out and the mark that kept it in (EgressGate.SubjectDetail).
	Withheld []Withheld `json:"withheld,omitempty"`
}

// SubjectDetail reads a subject (audited) with its claims, the conflicts among them, its
// associations and its matches.
func (n *Node) SubjectDetail(ctx context.Context, actor forewarn.Actor, id string) (*SubjectDetail, error) {
	s, err := n.Store.Subject(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	d := &SubjectDetail{Subject: s}
	if d.Claims, err = n.Store.Claims(ctx, id); err != nil {
		return nil, err
	}
	d.Conflicts = forewarn.ClaimConflicts(d.Claims)
	if d.Associations, err = n.Store.Associations(ctx, id); err != nil {
		return nil, err
	}
	if d.Matches, _, err = n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: id, Limit: 1000}); err != nil {
		return nil, err
	}
	return d, nil
}
