package stix

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// epoch is the created time of objects that have no history of their own (a node's
// identity, the extension-definition): fixed, so they export identically every time.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// AgencyIdentity is the identity (organization) of an agency's node; name may be empty
// when only the code is known.
func AgencyIdentity(code, name string) *Object {
	if name == "" {
		name = code
	}
	ts := Timestamp(epoch)
	return &Object{Type: "identity", SpecVersion: "2.1", ID: NodeID(code), Created: ts, Modified: ts,
		Name: name, IdentityClass: "organization", Description: "Forewarn node of " + code,
		ExternalReferences: []ExternalReference{{SourceName: "forewarn-agency", ExternalID: code}}}
}

// ExtensionDefinition is the Forewarn extension-definition, created by the node of agency.
func ExtensionDefinition(agency string) *Object {
	ts := Timestamp(epoch)
	return &Object{Type: "extension-definition", SpecVersion: "2.1", ID: ExtensionID, Created: ts, Modified: ts,
		CreatedByRef: NodeID(agency), Name: "Forewarn", Version: "1.1", ExtensionTypes: []string{"property-extension"},
		Description: "What a Forewarn node holds that STIX 2.1 has no property for: a person's names with script and language, birth date, nationalities, identity documents; a claim's Admiralty grading, source and validity; a message's kind, priority and deadline; an acknowledgement; a link's kind; handling marks beyond TLP.",
		Schema:      SchemaURL}
}

func extension(e *Extension) (map[string]json.RawMessage, error) {
	e.ExtensionType = "property-extension"
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return map[string]json.RawMessage{ExtensionID: raw}, nil
}

// ExportID is the STIX ID a subject exports under: the ID of the STIX identity it was
// imported from, when it came from a STIX dataset the node still follows, otherwise
// SubjectID. Either way the same subject exports with the same ID every time.
func ExportID(agency string, s *forewarn.Subject) string {
	for _, src := range s.Sources {
		if !src.Withdrawn() && strings.HasPrefix(src.ExternalID, "identity--") && validIdentifier(src.ExternalID) {
			return src.ExternalID
		}
	}
	return SubjectID(agency, s.ID)
}

func personExtension(names []forewarn.Name, bd forewarn.PartialDate, birthplace string, nats []string, docs []forewarn.Document, g forewarn.Gender, watch forewarn.WatchStatus) *Extension {
	ext := &Extension{Birthplace: birthplace, Nationalities: nats, Documents: docs, Gender: string(g), Watchlisted: watch == forewarn.WatchListed}
	if !bd.IsZero() {
		ext.BirthDate = bd.String()
	}
	for _, n := range names {
		ext.Names = append(ext.Names, ExtName{Value: n.Value, Kind: string(n.Kind), Script: n.Script, Lang: n.Lang, Source: n.Source})
	}
	return ext
}

// Identity maps a subject of the node of agency to its STIX identity.
func Identity(agency string, s *forewarn.Subject) (*Object, error) {
	exts, err := extension(personExtension(s.Names, s.BirthDate, s.Birthplace, s.Nationalities, s.Documents, s.Gender, s.Watch))
	if err != nil {
		return nil, err
	}
	created, modified := s.CreatedAt, s.UpdatedAt
	if created.IsZero() {
		created = epoch
	}
	if modified.Before(created) {
		modified = created
	}
	return &Object{Type: "identity", SpecVersion: "2.1", ID: ExportID(agency, s), Created: Timestamp(created), Modified: Timestamp(modified),
		CreatedByRef: NodeID(agency), Name: s.PrimaryName(), IdentityClass: "individual", Description: s.Notes,
		Extensions: exts}, nil
}

func extClaim(kind forewarn.ClaimKind, value string, from, to forewarn.PartialDate, recorded time.Time, src forewarn.Source, g forewarn.Grading, neg bool, note string) *ExtClaim {
	c := &ExtClaim{Kind: string(kind), Value: value, Source: ExtSource{Agency: src.Agency, Name: src.Name},
		Grading: ExtGrading{Reliability: g.Reliability, Credibility: g.Credibility}, Negative: neg, Note: note}
	if !from.IsZero() {
		c.ValidFrom = from.String()
	}
	if !to.IsZero() {
		c.ValidTo = to.String()
	}
	if !recorded.IsZero() {
		c.RecordedAt = Timestamp(recorded)
	}
	return c
}

// claimText says a claim in words, for the note's abstract: "travel_entry TR from 2013 (B2)".
func claimText(c *ExtClaim) string {
	var b strings.Builder
	if c.Negative {
		b.WriteString("no ")
	}
	b.WriteString(c.Kind + ": " + c.Value)
	if c.ValidFrom != "" {
		b.WriteString(" from " + c.ValidFrom)
	}
	if c.ValidTo != "" {
		b.WriteString(" to " + c.ValidTo)
	}
	fmt.Fprintf(&b, " (%s%d, %s)", c.Grading.Reliability, c.Grading.Credibility, forewarn.Source{Agency: c.Source.Agency, Name: c.Source.Name})
	return b.String()
}

func claimNote(id, createdBy, about string, at time.Time, c *ExtClaim, marks forewarn.HandlingMarks) (*Object, error) {
	content := c.Note
	if content == "" {
		content = claimText(c)
	}
	exts, err := extension(&Extension{Claim: c, Handling: extHandling(marks)})
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = epoch
	}
	refs, _ := handlingMarks(marks)
	return &Object{Type: "note", SpecVersion: "2.1", ID: id, Created: Timestamp(at), Modified: Timestamp(at), CreatedByRef: createdBy,
		Abstract: claimText(c), Content: content, ObjectRefs: []string{about}, Confidence: Confidence(c.Grading.Credibility),
		Labels: []string{"forewarn-claim", "claim-" + strings.ReplaceAll(c.Kind, "_", "-")}, ObjectMarkingRefs: refs, Extensions: exts}, nil
}

// Claim maps a claim of the node of agency about the subject exported as subjectID
// (see ExportID) to a note, its Admiralty grading in the extension and its credibility
// as confidence.
func Claim(agency, subjectID string, c *forewarn.Claim) (*Object, error) {
	ec := extClaim(c.Kind, c.Value, c.ValidFrom, c.ValidTo, c.RecordedAt, c.Source, c.Grading, c.Negative, c.Note)
	ec.Preferred = c.Preferred
	return claimNote(ClaimID(agency, c.ID), NodeID(agency), subjectID, c.RecordedAt, ec, forewarn.HandlingMarks{})
}

// relationshipType is the STIX relationship_type of an association kind: associate_of →
// associate-of.
func relationshipType(k forewarn.AssociationKind) string {
	return strings.ReplaceAll(string(k), "_", "-")
}

// Association maps an association of the node of agency between the subjects exported as
// fromID and toID to a relationship.
func Association(agency, fromID, toID string, a *forewarn.Association) (*Object, error) {
	at := a.RecordedAt
	if at.IsZero() {
		at = epoch
	}
	exts, err := extension(&Extension{Link: &ExtLink{Kind: string(a.Kind), Source: &ExtSource{Agency: a.Source.Agency, Name: a.Source.Name},
		Grading: &ExtGrading{Reliability: a.Grading.Reliability, Credibility: a.Grading.Credibility}, Note: a.Note}})
	if err != nil {
		return nil, err
	}
	return &Object{Type: "relationship", SpecVersion: "2.1", ID: AssociationID(agency, a.ID), Created: Timestamp(at), Modified: Timestamp(at),
		CreatedByRef: NodeID(agency), RelationshipType: relationshipType(a.Kind), SourceRef: fromID, TargetRef: toID,
		Description: a.Note, Confidence: Confidence(a.Grading.Credibility), Extensions: exts}, nil
}

// Message maps a message to its objects: a request, notification or response becomes a
// report (priority and deadline in the extension) referring to an identity for each
// person it describes, a note for each of their claims and a relationship for each link;
// an acknowledgement becomes a note on the report of the message it acknowledges. Every
// object carries the message's handling marks (object_marking_refs to the TLP 2.0
// marking-definition, the release list and consent in the extension); the markings and
// the sender's identity are among the objects returned.
func Message(m *forewarn.Message) ([]*Object, error) {
	by := NodeID(m.From)
	at := Timestamp(m.Created)
	refs, markings := handlingMarks(m.Marks)
	out := append([]*Object{AgencyIdentity(m.From, "")}, markings...)
	h := extHandling(m.Marks)
	if m.Kind == forewarn.KindAcknowledgement {
		if m.Ack == nil {
			return nil, forewarn.Invalid("ack", "required", "an acknowledgement message must carry its ack")
		}
		a := m.Ack
		ea := &ExtAck{MessageID: m.ID, InReplyTo: m.InReplyTo, From: m.From, Stage: string(a.Stage), Outcome: a.Outcome, Reason: a.Reason}
		who := m.From
		if a.By != nil {
			ea.ByKind, ea.ByName = a.By.Kind, a.By.Name
			who = a.By.Describe(m.From)
		}
		exts, err := extension(&Extension{Acknowledgement: ea, Handling: h})
		if err != nil {
			return nil, err
		}
		content := a.Reason
		if content == "" {
			content = string(a.Stage)
		}
		abstract := string(a.Stage) + " by " + who
		if a.Outcome != "" {
			abstract += ": " + a.Outcome
		}
		out = append(out, &Object{Type: "note", SpecVersion: "2.1", ID: AckID(m.ID), Created: at, Modified: at, CreatedByRef: by,
			Abstract: abstract, Content: content, Authors: []string{who}, ObjectRefs: []string{MessageID(m.InReplyTo)},
			Labels: []string{"forewarn-acknowledgement"}, ObjectMarkingRefs: refs, Extensions: exts})
		return out, nil
	}
	em := &ExtMessage{MessageID: m.ID, Kind: string(m.Kind), From: m.From, To: m.To, InReplyTo: m.InReplyTo}
	var name, desc string
	switch {
	case m.Request != nil:
		r := m.Request
		name, desc = r.Subject, r.Questions
		em.Priority, em.Deadline, em.Questions = string(r.Priority), Timestamp(r.Deadline), r.Questions
	case m.Notification != nil:
		nt := m.Notification
		name, desc = firstLine(nt.Summary, 120), nt.Summary
		em.Priority, em.Deadline = string(nt.Priority), Timestamp(nt.AcknowledgeBy)
	case m.Response != nil:
		name, desc = "Response to "+m.InReplyTo, m.Response.Answer
	default:
		return nil, forewarn.Invalid("kind", "enum", "message kind %q has no payload to map", m.Kind)
	}
	var objectRefs []string
	persons := m.Persons()
	for i := range persons {
		p := &persons[i]
		pid := PersonID(m.ID, p.Ref)
		pext := personExtension(p.Names, p.BirthDate, p.Birthplace, p.Nationalities, p.Documents, p.Gender, p.Watch)
		pext.Handling = h
		exts, err := extension(pext)
		if err != nil {
			return nil, err
		}
		primary := ""
		for _, n := range p.Names {
			if primary == "" || n.Kind == forewarn.NamePrimary {
				primary = n.Value
			}
			if n.Kind == forewarn.NamePrimary {
				break
			}
		}
		out = append(out, &Object{Type: "identity", SpecVersion: "2.1", ID: pid, Created: at, Modified: at, CreatedByRef: by,
			Name: primary, IdentityClass: "individual", ObjectMarkingRefs: refs, Extensions: exts})
		objectRefs = append(objectRefs, pid)
		for j, c := range p.Claims {
			ec := extClaim(c.Kind, c.Value, c.ValidFrom, c.ValidTo, c.RecordedAt, c.Source, c.Grading, c.Negative, c.Note)
			note, err := claimNote(stableID("note", fmt.Sprintf("forewarn:message:%s:person:%s:claim:%d", m.ID, p.Ref, j)), by, pid, m.Created, ec, m.Marks)
			if err != nil {
				return nil, err
			}
			out = append(out, note)
			objectRefs = append(objectRefs, note.ID)
		}
		for j, l := range p.Links {
			target := PersonID(m.ID, l.To)
			if l.To == "" {
				target = MessageID(l.Message)
			}
			exts, err := extension(&Extension{Link: &ExtLink{Kind: string(l.Kind), Note: l.Note, Message: l.Message}, Handling: h})
			if err != nil {
				return nil, err
			}
			rel := &Object{Type: "relationship", SpecVersion: "2.1", ID: stableID("relationship", fmt.Sprintf("forewarn:message:%s:person:%s:link:%d", m.ID, p.Ref, j)),
				Created: at, Modified: at, CreatedByRef: by, RelationshipType: relationshipType(l.Kind), SourceRef: pid, TargetRef: target,
				Description: l.Note, ObjectMarkingRefs: refs, Extensions: exts}
			out = append(out, rel)
			objectRefs = append(objectRefs, rel.ID)
		}
	}
	if len(objectRefs) == 0 && m.InReplyTo != "" {
		objectRefs = []string{MessageID(m.InReplyTo)}
	}
	if len(objectRefs) == 0 {
		objectRefs = []string{by}
	}
	exts, err := extension(&Extension{Message: em, Handling: h})
	if err != nil {
		return nil, err
	}
	out = append(out, &Object{Type: "report", SpecVersion: "2.1", ID: MessageID(m.ID), Created: at, Modified: at, CreatedByRef: by,
		Name: name, Description: desc, Published: at, ReportTypes: []string{"threat-actor"}, Labels: []string{"forewarn-" + string(m.Kind)},
		ObjectRefs: objectRefs, ObjectMarkingRefs: refs, Extensions: exts})
	return out, nil
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}
