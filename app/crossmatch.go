package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// Matcher keeps the node's holdings in a match index, the agency's subjects and every
// person described in a message it received, so that each new description is compared
// with all of them at once, and each new subject with everything it was told before.
type Matcher struct {
	Index     *match.Index
	Threshold float64
	// Candidates is how many of the best hits to consider per person.
	Candidates int

	mu       sync.RWMutex
	subjects map[string]subjectInfo
	messages map[string]messageInfo // received messages whose persons are indexed
}

// messageInfo is what the matcher keeps of a received message, to word an alert about an
// earlier mention without reading the message back.
type messageInfo struct {
	kind    forewarn.MessageKind
	from    string
	created time.Time
}

// subjectInfo is what the matcher must know of a subject to raise the right alert without
// reading (and so auditing a read of) the subject itself.
type subjectInfo struct {
	name        string
	watchlisted bool
}

// NewMatcher returns an empty matcher at the engine's recommended threshold.
func NewMatcher() *Matcher {
	return &Matcher{Index: match.NewIndex(), Threshold: match.DefaultThreshold, Candidates: 10,
		subjects: map[string]subjectInfo{}, messages: map[string]messageInfo{}}
}

func (mt *Matcher) message(id string) (messageInfo, bool) {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	mi, ok := mt.messages[id]
	return mi, ok
}

func (mt *Matcher) subject(id string) (subjectInfo, bool) {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	si, ok := mt.subjects[id]
	return si, ok
}

// Index entry IDs say what an entry is: a subject, or a person in a received message.
const (
	subjectPrefix = "subject:"
	personPrefix  = "person:"
)

func subjectKey(id string) string { return subjectPrefix + id }

func personKey(messageID, ref string) string { return personPrefix + messageID + "/" + ref }

func parsePersonKey(k string) (messageID, ref string, ok bool) {
	rest, ok := strings.CutPrefix(k, personPrefix)
	if !ok {
		return "", "", false
	}
	messageID, ref, ok = strings.Cut(rest, "/")
	return messageID, ref, ok
}

// subjectPerson turns a subject into what the match engine compares.
func subjectPerson(s *forewarn.Subject) match.Person {
	p := match.Person{BirthDate: s.BirthDate.String(), Nationalities: s.Nationalities, Gender: string(s.Gender)}
	for _, n := range s.Names {
		p.Names = append(p.Names, n.Value)
	}
	for _, d := range s.Documents {
		p.Documents = append(p.Documents, d.Number)
	}
	return p
}

// descriptorPerson turns a person described in a message into what the engine compares.
func descriptorPerson(d *forewarn.PersonDescriptor) match.Person {
	p := match.Person{BirthDate: d.BirthDate.String(), Nationalities: d.Nationalities, Gender: string(d.Gender)}
	for _, n := range d.Names {
		p.Names = append(p.Names, n.Value)
	}
	for _, doc := range d.Documents {
		p.Documents = append(p.Documents, doc.Number)
	}
	return p
}

// Fingerprint identifies a description by its names and birth date, normalised, so that a
// pair an analyst rejected is recognised when the same description arrives again.
func Fingerprint(d *forewarn.PersonDescriptor) string {
	names := make([]string, 0, len(d.Names))
	for _, n := range d.Names {
		names = append(names, strings.ToLower(strings.Join(strings.Fields(n.Value), " ")))
	}
	sort.Strings(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "|") + "#" + d.BirthDate.String()))
	return hex.EncodeToString(sum[:16])
}

// Summary is the one line an analyst reads first: the score, the reasons and what the
// reader must know before acting on it (a match on a surname only, a title set aside).
func Summary(e match.Explanation) string {
	s := fmt.Sprintf("%.2f: %q ~ %q", e.Score, e.Query, e.Candidate)
	if len(e.Reasons) > 0 {
		s += " (" + strings.Join(e.Reasons, ", ") + ")"
	}
	if len(e.Notes) > 0 {
		s += "; " + strings.Join(e.Notes, "; ")
	}
	return s
}

// Load fills the index from the store: every subject and every person in every message
// received. It reads without auditing: the matcher is the node itself, not a person.
func (mt *Matcher) Load(ctx context.Context, store forewarn.Store) error {
	err := store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
		mt.AddSubject(s)
		return nil
	})
	if err != nil {
		return err
	}
	for offset := 0; ; {
		page, total, err := store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Offset: offset, Limit: 1000})
		if err != nil {
			return err
		}
		for _, sm := range page {
			mt.AddMessage(sm.Message)
		}
		offset += len(page)
		if len(page) == 0 || offset >= total {
			return nil
		}
	}
}

// AddMessage indexes the persons a received message describes.
func (mt *Matcher) AddMessage(m *forewarn.Message) {
	mt.mu.Lock()
	mt.messages[m.ID] = messageInfo{kind: m.Kind, from: m.From, created: m.Created}
	mt.mu.Unlock()
	ps := m.Persons()
	for i := range ps {
		mt.Index.Update(match.Entry{ID: personKey(m.ID, ps[i].Ref), Person: descriptorPerson(&ps[i])})
	}
}

// AddSubject indexes (or re-indexes) a subject.
func (mt *Matcher) AddSubject(s *forewarn.Subject) {
	mt.mu.Lock()
	mt.subjects[s.ID] = subjectInfo{name: s.PrimaryName(), watchlisted: s.Watch == forewarn.WatchListed}
	mt.mu.Unlock()
	mt.Index.Update(match.Entry{ID: subjectKey(s.ID), Person: subjectPerson(s)})
}

// hit is one candidate above the threshold, resolved to what it is.
type hit struct {
	subjectID        string
	earlierMessageID string
	earlierRef       string
	score            float64
	explanation      match.Explanation
}

// search returns the hits at or above the threshold for one person.
func (mt *Matcher) search(p match.Person, k int) []hit {
	var out []hit
	for _, h := range mt.Index.Search(p, k) {
		if h.Score < mt.Threshold {
			continue
		}
		x := hit{score: h.Score, explanation: h.Explanation}
		if id, ok := strings.CutPrefix(h.ID, subjectPrefix); ok {
			x.subjectID = id
		} else if mid, ref, ok := parsePersonKey(h.ID); ok {
			x.earlierMessageID, x.earlierRef = mid, ref
		} else {
			continue
		}
		out = append(out, x)
	}
	return out
}

func (h hit) toMatch(messageID string, d *forewarn.PersonDescriptor) *forewarn.Match {
	raw, _ := json.Marshal(h.explanation)
	return &forewarn.Match{
		MessageID: messageID, PersonRef: d.Ref, Fingerprint: Fingerprint(d),
		SubjectID: h.subjectID, EarlierMessageID: h.earlierMessageID, EarlierPersonRef: h.earlierRef,
		Score: h.score, Summary: Summary(h.explanation), Explanation: raw, Status: forewarn.MatchPending,
	}
}
