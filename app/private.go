package app

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/psi"
)

// Private matching: asking a peer "do you hold this person?" without naming the person,
// and answering such questions (package psi; docs/private-match.md).

// PrivateTransport posts a signed private_match document to a peer and returns the
// peer's signed answer. federation.Client implements it.
type PrivateTransport interface {
	PrivateMatch(ctx context.Context, peer *forewarn.Peer, doc []byte) ([]byte, error)
}

// PrivateTimeWindow is how far a private_match document's time may be from the
// receiving node's clock.
const PrivateTimeWindow = time.Hour

// PrivatePerson is one person to ask about: what the engine compares, and how this node
// calls it (never sent).
type PrivatePerson struct {
	Label     string
	SubjectID string
	Person    match.Person
}

// epoch is the day a private answer's secret belongs to.
func privateEpoch(now time.Time) string { return now.UTC().Format(time.DateOnly) }

// holderPerson is what this node answers private queries about for s: its names but
// those another agency sent (an alias merged from a confirmed match, its source that
// agency's code). The set goes to every peer allowed to ask, so a name under another
// agency's marks never decides an answer to a third (docs/private-match.md).
func holderPerson(s *forewarn.Subject, self string) match.Person {
	own := *s
	own.Names = nil
	for _, n := range s.Names {
		if n.Kind == forewarn.NameAlias && n.Source != self && forewarn.IsAgencyCode(n.Source) {
			continue
		}
		own.Names = append(own.Names, n)
	}
	return subjectPerson(&own)
}

// onlyPeer gives the key of peer only: an answer must come from the peer asked.
func (ms *Messages) onlyPeer(p *forewarn.Peer) envelope.KeyFunc {
	return func(agency string) (ed25519.PublicKey, error) {
		if agency != p.Agency.Code {
			return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the answer is signed by %s, not by %s, which was asked", agency, p.Agency.Code)
		}
		return p.PublicKey, nil
	}
}

// refusePrivate audits a refused private_match document and returns cause.
func (ms *Messages) refusePrivate(ctx context.Context, peer, queryID, remote string, cause error) error {
	if forewarn.ErrorCode(cause) == forewarn.EINTERNAL {
		return cause
	}
	actor := forewarn.SystemActor("anonymous@" + remote)
	if peer != "" {
		actor = forewarn.Actor{Kind: forewarn.ActorPeer, ID: peer}
	}
	reason := forewarn.ErrorMessage(cause)
	e := &forewarn.AuditEntry{Actor: actor, Action: "private_match.refuse", ObjectType: "private_query", ObjectID: printable(queryID),
		Detail: truncate(printable("from "+remote+": "+reason), 1000)}
	if err := ms.Store.RecordAudit(ctx, e); err != nil {
		ms.Logger.Error("could not audit a refused private query", "err", err, "reason", reason)
	}
	ms.Logger.Warn("private query refused", "peer", peer, "remote", remote, "reason", reason)
	return cause
}

// AskPrivately asks peerCode privately whether it holds each of persons, and returns the
// query with a band for every person. A hit alerts the asker (the user, or the liaison
// desk) and is reported to the peer, so that it knows which of its subjects matched.
func (ms *Messages) AskPrivately(ctx context.Context, actor forewarn.Actor, peerCode string, persons []PrivatePerson) (*forewarn.PrivateQuery, error) {
	if len(persons) == 0 || len(persons) > forewarn.MaxPrivatePersons {
		return nil, forewarn.Invalid("persons", "range", "ask about 1 to %d persons, not %d", forewarn.MaxPrivatePersons, len(persons))
	}
	pt, ok := ms.Transport.(PrivateTransport)
	if !ok {
		return nil, forewarn.Errorf(forewarn.EINTERNAL, "this node has no transport for private queries")
	}
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	peer, err := ms.Store.Peer(ctx, peerCode)
	if err != nil {
		return nil, forewarn.Invalid("peer", "known", "%s is not a peer of this node", peerCode)
	}
	if err := ms.checkPrivateAgreement(ctx, actor, peerCode); err != nil {
		return nil, err
	}
	mps := make([]match.Person, len(persons))
	for i, p := range persons {
		mps[i] = p.Person
	}
	q, err := psi.NewQuery(mps)
	if err != nil {
		return nil, forewarn.Invalid("persons", "name", "%v", err)
	}
	kept, err := ms.keptPeerSet(ctx, peerCode)
	if err != nil {
		return nil, err
	}
	now := ms.Clock.Now()
	doc := &envelope.PrivateMatch{Stage: envelope.PrivateQueryStage, QueryID: forewarn.NewID(now), From: self, To: peerCode, Time: now,
		Persons: len(persons), Digest: psi.Digest(q.Blinded()), Elements: envelope.EncodeChunks(q.Blinded())}
	if kept != nil {
		doc.HaveSet = kept.digest
	}
	sealed, err := envelope.SealPrivateMatch(doc, ms.Signer)
	if err != nil {
		return nil, err
	}
	raw, err := pt.PrivateMatch(ctx, peer, sealed)
	if err != nil {
		ms.Logger.Warn("private query not answered", "peer", peerCode, "err", err)
		return nil, forewarn.Errorf(forewarn.ECONFLICT, "%s did not answer the private query: %v", peerCode, err)
	}
	ans, err := envelope.OpenPrivateMatch(raw, ms.onlyPeer(peer), envelope.MaxPrivateAnswerBytes)
	if err == nil {
		err = checkAnswer(ans, doc)
	}
	if err != nil {
		return nil, ms.refusePrivate(ctx, peerCode, doc.QueryID, peer.BaseURL, err)
	}
	evaluated, _ := envelope.DecodeChunks("evaluated", ans.Evaluated)
	set, err := ms.answerSet(ctx, actor, peerCode, ans, kept)
	if err == nil {
		var results []psi.Result
		results, err = q.Finish(evaluated, set)
		if err == nil {
			return ms.recordAsk(ctx, actor, peer, doc, ans.Epoch, persons, results, pt)
		}
	}
	return nil, ms.refusePrivate(ctx, peerCode, doc.QueryID, peer.BaseURL, forewarn.Errorf(forewarn.EINVALID, "%v", err))
}

// privatePeerSets is, on the asking side, the set of each peer this node asked, kept for
// the peer's epoch so that it is not sent with every query: a cache of the store's kept
// sets (KeepPrivatePeerSet), so that a restarted node or a second server of it uses them
// too.
type privatePeerSets struct {
	mu   sync.Mutex
	sets map[string]*keptPeerSet
}

type keptPeerSet struct {
	epoch, digest string
	set           psi.Set
}

// keptPeerSet returns the set kept for peer, nil when none is: from memory while the
// store keeps the same version, else read from the store.
func (ms *Messages) keptPeerSet(ctx context.Context, peer string) (*keptPeerSet, error) {
	_, digest, err := ms.Store.PrivatePeerSetVersion(ctx, peer)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := &ms.peerSets
	c.mu.Lock()
	k := c.sets[peer]
	c.mu.Unlock()
	if k != nil && k.digest == digest {
		return k, nil
	}
	s, err := ms.Store.PrivatePeerSet(ctx, peer)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	set, err := psi.DecodeSet(s.Set)
	if err != nil || psi.Digest(s.Set) != s.Digest {
		ms.Logger.Warn("a kept private-match set does not decode to its version; it is fetched again", "peer", peer, "err", err)
		return nil, nil
	}
	k = &keptPeerSet{epoch: s.Epoch, digest: s.Digest, set: set}
	c.mu.Lock()
	if c.sets == nil {
		c.sets = map[string]*keptPeerSet{}
	}
	c.sets[peer] = k
	c.mu.Unlock()
	return k, nil
}

// answerSet is the holder's set an answer was computed against: the one it carries,
// checked against the version it signs and kept for the next query; the one kept from
// before with the changes the answer carries applied, checked and kept likewise; or the
// one kept from before when the answer names its version and leaves it out. Anything
// that does not lead to the version the answer signs is refused, and nothing is kept.
func (ms *Messages) answerSet(ctx context.Context, actor forewarn.Actor, peer string, ans *envelope.PrivateMatch, kept *keptPeerSet) (psi.Set, error) {
	var set psi.Set
	var how string
	switch {
	case ans.SetFrom != "":
		if kept == nil || kept.digest != ans.SetFrom || kept.epoch != ans.Epoch {
			return nil, fmt.Errorf("the answer carries changes to version %.12s… of epoch %s, which this node does not keep", ans.SetFrom, ans.Epoch)
		}
		var d psi.Delta
		for _, f := range []struct {
			name   string
			chunks []string
			to     *psi.Set
		}{{"set_added", ans.SetAdded, &d.Added}, {"set_removed", ans.SetRemoved, &d.Removed}} {
			b, _ := envelope.DecodeChunks(f.name, f.chunks)
			s, err := psi.DecodeSet(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", f.name, err)
			}
			*f.to = s
		}
		applied, err := kept.set.Apply(d)
		if err != nil {
			return nil, fmt.Errorf("the changes do not apply to the kept version %.12s…: %v", ans.SetFrom, err)
		}
		if psi.Digest(applied.Encode()) != ans.SetDigest {
			return nil, fmt.Errorf("the changes to version %.12s… do not give the version the answer names (%.12s…)", ans.SetFrom, ans.SetDigest)
		}
		set, how = applied, fmt.Sprintf("changes (+%d −%d)", len(d.Added), len(d.Removed))
	case len(ans.Set) == 0:
		if kept == nil || kept.digest != ans.SetDigest {
			return nil, fmt.Errorf("the answer leaves out the set, naming version %.12s…, which this node does not keep", ans.SetDigest)
		}
		return kept.set, nil
	default:
		encoded, _ := envelope.DecodeChunks("set", ans.Set)
		if psi.Digest(encoded) != ans.SetDigest {
			return nil, fmt.Errorf("the set carried is not the version the answer names (%.12s…)", ans.SetDigest)
		}
		var err error
		if set, err = psi.DecodeSet(encoded); err != nil {
			return nil, err
		}
		how = "the set"
	}
	ms.keepPeerSet(ctx, actor, peer, ans.Epoch, ans.SetDigest, set, how)
	return set, nil
}

// keepPeerSet keeps a peer's set in the store and in memory. Keeping it is a saving, not
// a record: a failure costs the next query the set again.
func (ms *Messages) keepPeerSet(ctx context.Context, actor forewarn.Actor, peer, epoch, digest string, set psi.Set, how string) {
	if err := ms.Store.KeepPrivatePeerSet(ctx, actor, &forewarn.PrivatePeerSet{Peer: peer, Epoch: epoch, Digest: digest, Set: set.Encode(), Received: how}); err != nil {
		ms.Logger.Warn("could not keep a peer's private-match set", "peer", peer, "err", err)
		return
	}
	c := &ms.peerSets
	c.mu.Lock()
	if c.sets == nil {
		c.sets = map[string]*keptPeerSet{}
	}
	c.sets[peer] = &keptPeerSet{epoch: epoch, digest: digest, set: set}
	c.mu.Unlock()
}

// checkPrivateAgreement refuses a private query to a peer whose sharing agreement does not
// cover private queries, before anything is built or sent, and audits the refusal as
// agreement.refused against the peer. A peer without an agreement is not restricted by one.
func (ms *Messages) checkPrivateAgreement(ctx context.Context, actor forewarn.Actor, peer string) error {
	a, err := ms.Store.Agreement(ctx, peer)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	refusal := a.PermitsPrivateQuery()
	if refusal == nil {
		return nil
	}
	detail := fmt.Sprintf("%s to %s, term=%s: %s", forewarn.KindPrivateMatch, peer, forewarn.TermKinds, forewarn.ErrorMessage(refusal))
	if err := ms.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: ActionAgreementRefused, ObjectType: "peer", ObjectID: peer, Detail: truncate(detail, 500)}); err != nil {
		return err
	}
	return refusal
}

// checkAnswer binds an answer to the query it must answer.
func checkAnswer(ans, q *envelope.PrivateMatch) error {
	switch {
	case ans.Stage != envelope.PrivateAnswerStage:
		return forewarn.Errorf(forewarn.EINVALID, "the peer sent a %s, not an answer", ans.Stage)
	case ans.QueryID != q.QueryID || ans.Digest != q.Digest:
		return forewarn.Errorf(forewarn.EINVALID, "a replayed or foreign answer: it answers another query (elements %.12s…), not the one asked (%.12s…)", ans.Digest, q.Digest)
	case ans.From != q.To || ans.To != q.From || ans.Persons != q.Persons:
		return forewarn.Errorf(forewarn.EINVALID, "the answer is from %s to %s about %d persons; the query went from %s to %s about %d", ans.From, ans.To, ans.Persons, q.From, q.To, q.Persons)
	case ans.Time.Before(q.Time.Add(-forewarn.MaxClockSkew)) || ans.Time.After(q.Time.Add(PrivateTimeWindow)):
		return forewarn.Errorf(forewarn.EINVALID, "the answer is dated %s, not within an hour after the query", ans.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

func (ms *Messages) recordAsk(ctx context.Context, actor forewarn.Actor, peer *forewarn.Peer, doc *envelope.PrivateMatch, epoch string, persons []PrivatePerson, results []psi.Result, pt PrivateTransport) (*forewarn.PrivateQuery, error) {
	rec := &forewarn.PrivateQuery{ID: doc.QueryID, Direction: forewarn.DirectionOut, Peer: peer.Agency.Code, Persons: len(persons),
		Digest: doc.Digest, Epoch: epoch, CreatedAt: doc.Time}
	if actor.Kind == forewarn.ActorUser {
		rec.AskedBy = actor.ID
	}
	report := &envelope.PrivateMatch{Stage: envelope.PrivateReportStage, QueryID: doc.QueryID, From: doc.From, To: doc.To,
		Persons: doc.Persons, Digest: doc.Digest}
	var alerts []*forewarn.Alert
	for i, r := range results {
		rec.Results = append(rec.Results, forewarn.PrivateResult{Person: i, Band: string(r.Band), SubjectID: persons[i].SubjectID, Label: persons[i].Label})
		if r.Band == psi.BandNone {
			continue
		}
		p := forewarn.Say(forewarn.PhraseAlertPrivateAsk, forewarn.AgencyArg(peer.Agency.Code), forewarn.LabelArg(r.Band), forewarn.TextArg(persons[i].Label))
		a := &forewarn.Alert{Role: forewarn.RoleLiaison, Kind: "private_match", SubjectID: persons[i].SubjectID, Agency: peer.Agency.Code, Text: p.English(), Phrase: p}
		if rec.AskedBy != "" {
			a.Username = rec.AskedBy
		}
		alerts = append(alerts, a)
		hit := envelope.PrivateHit{Person: i, Band: string(r.Band)}
		for _, f := range r.Hits {
			hit.Fingerprints = append(hit.Fingerprints, fmt.Sprintf("%016x", f))
		}
		report.Hits = append(report.Hits, hit)
	}
	if err := ms.Store.RecordPrivateAsk(ctx, actor, rec, alerts); err != nil {
		return nil, err
	}
	if len(report.Hits) > 0 {
		report.Time = ms.Clock.Now()
		sealed, err := envelope.SealPrivateMatch(report, ms.Signer)
		if err == nil {
			_, err = pt.PrivateMatch(ctx, peer, sealed)
		}
		if err != nil {
			ms.Logger.Warn("could not report private hits to the peer", "peer", peer.Agency.Code, "query", doc.QueryID, "err", err)
		}
	}
	return rec, nil
}

// PrivateMatch answers a peer's signed private_match document: a query (answered with
// the evaluated elements and the day's set, signed) or a report of hits (recorded, with
// alerts on the subjects that matched). Anything refused is audited.
func (ms *Messages) PrivateMatch(ctx context.Context, data []byte, remote string) ([]byte, error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := envelope.OpenPrivateMatch(data, ms.peerKey(ctx, self), envelope.MaxPrivateQueryBytes)
	if err != nil {
		return nil, ms.refusePrivate(ctx, "", "", remote, err)
	}
	now := ms.Clock.Now()
	switch {
	case doc.To != self:
		err = forewarn.Errorf(forewarn.EINVALID, "the document is addressed to %s, not to %s", doc.To, self)
	case doc.Time.After(now.Add(forewarn.MaxClockSkew)) || doc.Time.Before(now.Add(-PrivateTimeWindow)):
		err = forewarn.Errorf(forewarn.EINVALID, "the document is dated %s; it is taken within an hour of its time", doc.Time.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return nil, ms.refusePrivate(ctx, doc.From, doc.QueryID, remote, err)
	}
	switch doc.Stage {
	case envelope.PrivateQueryStage:
		out, err := ms.answerPrivate(ctx, self, doc, now)
		if err != nil {
			return nil, ms.refusePrivate(ctx, doc.From, doc.QueryID, remote, err)
		}
		return out, nil
	case envelope.PrivateReportStage:
		if err := ms.takePrivateReport(ctx, doc); err != nil {
			return nil, ms.refusePrivate(ctx, doc.From, doc.QueryID, remote, err)
		}
		return []byte(`{"recorded":true}`), nil
	case envelope.PrivateFetchStage:
		out, err := ms.sendPrivateSet(ctx, self, doc)
		if err != nil {
			return nil, ms.refusePrivate(ctx, doc.From, doc.QueryID, remote, err)
		}
		return out, nil
	}
	return nil, ms.refusePrivate(ctx, doc.From, doc.QueryID, remote, forewarn.Errorf(forewarn.EINVALID, "a peer sends a query, a report or a fetch, not an %s", doc.Stage))
}

func (ms *Messages) answerPrivate(ctx context.Context, self string, doc *envelope.PrivateMatch, now time.Time) ([]byte, error) {
	elements, _ := envelope.DecodeChunks("elements", doc.Elements)
	if len(elements) != doc.Persons*psi.MaxElements*psi.ElementSize {
		return nil, forewarn.Invalid("elements", "size", "%d persons carry %d bytes of elements, not %d", doc.Persons, doc.Persons*psi.MaxElements*psi.ElementSize, len(elements))
	}
	if psi.Digest(elements) != doc.Digest {
		return nil, forewarn.Invalid("digest", "elements", "the digest is not the digest of the elements")
	}
	view, err := ms.privateCurrent(ctx, doc.HaveSet)
	if err != nil {
		return nil, err
	}
	rec := &forewarn.PrivateQuery{ID: doc.QueryID, Direction: forewarn.DirectionIn, Peer: doc.From, Persons: doc.Persons, Digest: doc.Digest, Epoch: view.epoch}
	day := now.UTC().Truncate(24 * time.Hour)
	if err := ms.Store.AcceptPrivateQuery(ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: doc.From}, rec, day); err != nil {
		return nil, err
	}
	evaluated, err := view.secret.Evaluate(elements)
	if err != nil {
		return nil, forewarn.Invalid("elements", "group", "%v", err)
	}
	ans := &envelope.PrivateMatch{Stage: envelope.PrivateAnswerStage, QueryID: doc.QueryID, From: self, To: doc.From, Time: ms.Clock.Now(),
		Persons: doc.Persons, Digest: doc.Digest, Evaluated: envelope.EncodeChunks(evaluated)}
	// The asker keeps the set of an earlier answer: it is sent again only when it changed,
	// and then as the changes since the version the asker keeps when the holder has them.
	view.describe(ans, doc.HaveSet)
	return envelope.SealPrivateMatch(ans, ms.Signer)
}

// describe writes into an answer or a set document what the asker needs of the set, which
// keeps version have: its version, and the set itself, the changes since have, or neither.
// It returns how the set went: "set", "changes" or "unchanged".
func (v privateView) describe(doc *envelope.PrivateMatch, have string) string {
	doc.Epoch, doc.SetDigest = v.epoch, v.digest
	switch {
	case have == v.digest:
		return "unchanged"
	case v.delta != nil:
		doc.SetFrom = have
		doc.SetAdded, doc.SetRemoved = envelope.EncodeChunks(v.delta.Added.Encode()), envelope.EncodeChunks(v.delta.Removed.Encode())
		return "changes"
	}
	doc.Set = envelope.EncodeChunks(v.encoded)
	return "set"
}

func (ms *Messages) takePrivateReport(ctx context.Context, doc *envelope.PrivateMatch) error {
	q, err := ms.Store.PrivateQuery(ctx, forewarn.DirectionIn, doc.From, doc.QueryID)
	if err != nil {
		return err
	}
	if q.Digest != doc.Digest || q.Persons != doc.Persons {
		return forewarn.Errorf(forewarn.EINVALID, "the report does not belong to the query it names: its elements or persons differ")
	}
	if _, err := ms.privateCurrent(ctx, ""); err != nil {
		return err
	}
	var results []forewarn.PrivateResult
	var alerts []*forewarn.Alert
	for _, h := range doc.Hits {
		var fps []uint64
		for _, f := range h.Fingerprints {
			b, _ := hex.DecodeString(f)
			v, _ := strconv.ParseUint(hex.EncodeToString(b), 16, 64)
			fps = append(fps, v)
		}
		ids, names := ms.privateSubjects(fps)
		for i, id := range ids {
			results = append(results, forewarn.PrivateResult{Person: h.Person, Band: h.Band, SubjectID: id})
			p := forewarn.Say(forewarn.PhraseAlertPrivateReport, forewarn.AgencyArg(doc.From), forewarn.TextArg(names[i]), forewarn.LabelArg(h.Band))
			alerts = append(alerts, &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "private_match", SubjectID: id, Agency: doc.From, Text: p.English(), Phrase: p})
		}
	}
	return ms.Store.RecordPrivateReport(ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: doc.From}, doc.From, doc.QueryID, results, alerts)
}

// AskPrivatelyAbout asks peer privately about subjects of this node (by ID, each read
// audited) and persons described as in a draft, in that order.
func (ms *Messages) AskPrivatelyAbout(ctx context.Context, actor forewarn.Actor, peer string, subjectIDs []string, persons []forewarn.PersonDescriptor) (*forewarn.PrivateQuery, error) {
	var ps []PrivatePerson
	if err := ms.checkPrivateAgreement(ctx, actor, peer); err != nil {
		return nil, err
	}
	// Names another agency sent go only where a forward to peer could: the query carries
	// them blinded, but a hit tells peer that this node is interested in its subject.
	gate := ms.EgressGateTo(actor, forewarn.EgressPrivate, peer)
	for _, id := range subjectIDs {
		s, err := ms.Store.Subject(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		if n, err := gate.Subject(ctx, s); err != nil {
			return nil, err
		} else if n > 0 {
			refusal := forewarn.Errorf(forewarn.EFORBIDDEN, "subject %s (%s) may not be asked of %s privately: %d of its names came from another agency, and %s",
				s.ID, s.PrimaryName(), peer, n, forewarn.ErrorMessage(gate.Barred(s.ID)))
			if fe, ok := gate.Barred(s.ID).(*forewarn.Error); ok {
				refusal.Field, refusal.Rule = fe.Field, fe.Rule
			}
			return nil, refusal
		}
		ps = append(ps, PrivatePerson{Label: s.PrimaryName(), SubjectID: s.ID, Person: subjectPerson(s)})
	}
	for i := range persons {
		d := &persons[i]
		if len(d.Names) == 0 {
			return nil, forewarn.Invalid(fmt.Sprintf("persons[%d].names", i), "required", "a person to ask about needs a name")
		}
		ps = append(ps, PrivatePerson{Label: d.Names[0].Value, Person: descriptorPerson(d)})
	}
	return ms.AskPrivately(ctx, actor, peer, ps)
}

// AskPrivatelyDraft asks peer privately about the persons of a draft. A draft that
// answers a received message (inReplyTo) may carry that message's names, so it is asked
// only where the message's marks let it go to peer (the way out private_match).
func (ms *Messages) AskPrivatelyDraft(ctx context.Context, actor forewarn.Actor, peer, inReplyTo string, persons []forewarn.PersonDescriptor) (*forewarn.PrivateQuery, error) {
	if inReplyTo != "" {
		if err := ms.checkPrivateAgreement(ctx, actor, peer); err != nil {
			return nil, err
		}
		refusal, err := ms.EgressGateTo(actor, forewarn.EgressPrivate, peer).Refusal(ctx, inReplyTo)
		if err != nil {
			return nil, err
		}
		if refusal != nil {
			return nil, refusal
		}
	}
	return ms.AskPrivatelyAbout(ctx, actor, peer, nil, persons)
}
