package app

import (
	"context"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// LoadMatcher builds the node's match index from its store.
func (n *Node) LoadMatcher(ctx context.Context) error {
	mt := NewMatcher()
	if err := mt.Load(ctx, n.Store); err != nil {
		return err
	}
	n.Matcher = mt
	return nil
}

// raise returns the priority one step more urgent than p.
func raise(p forewarn.Priority) forewarn.Priority {
	switch p {
	case forewarn.PriorityRoutine:
		return forewarn.PriorityPriority
	case forewarn.PriorityPriority:
		return forewarn.PriorityUrgent
	}
	return forewarn.PriorityFlash
}

// crossMatch compares every person an arriving message describes with the agency's
// subjects and with every person in messages it received before, and fills the stored
// message's matches and alerts, which ReceiveMessage writes with it. A person matching a
// watch-listed subject raises the message's priority and puts it in front of the liaison
// desk and the supervisors: "you hold this person". Earlier mentions of a person are
// gathered into one alert per person, however many there are. With catchUp the index
// first applies what the change log holds; without, the store checks it was current
// (see accept). pqs, when not nil, holds the persons prepared (preparePersons).
func (ms *Messages) crossMatch(ctx context.Context, sm *forewarn.StoredMessage, catchUp bool, pqs []match.PreparedPerson) error {
	mt := ms.Matcher
	if mt == nil {
		return nil
	}
	if catchUp {
		if _, err := mt.CatchUp(ctx); err != nil {
			return err
		}
	}
	m := sm.Message
	ps := m.Persons()
	now := ms.Clock.Now()
	raised := false
	for i := range ps {
		d := &ps[i]
		var earlier []forewarn.Phrase
		for _, h := range mt.searchPrepared(preparedPerson(pqs, i, d), mt.Candidates) {
			if h.earlierMessageID == m.ID {
				continue
			}
			if h.subjectID != "" {
				rejected, err := ms.Store.RejectedPair(ctx, h.subjectID, Fingerprint(d))
				if err != nil {
					return err
				}
				if rejected {
					continue
				}
			}
			sm.Matches = append(sm.Matches, h.toMatch(m.ID, d))
			if h.subjectID == "" {
				if mi, ok := mt.message(h.earlierMessageID); ok {
					earlier = append(earlier, forewarn.Say(forewarn.PhraseAlertEarlierMessage, forewarn.LabelArg(mi.kind), forewarn.AgencyArg(mi.from), forewarn.DateArg(mi.created)))
				}
				continue
			}
			sm.Alerts = append(sm.Alerts, ms.subjectAlerts(m, d, h, now)...)
			if si, ok := mt.subject(h.subjectID); ok && si.watchlisted && !raised {
				sm.HoldsPerson = true
				sm.Priority = raise(sm.Priority)
				raised = true
			}
		}
		if len(earlier) > 0 {
			p := forewarn.Say(forewarn.PhraseAlertToldBefore, forewarn.LabelArg(m.Kind), forewarn.TextArg(m.ID), forewarn.AgencyArg(m.From),
				forewarn.TextArg(d.DisplayName()), forewarn.PhrasesArg(earlier...))
			sm.Alerts = append(sm.Alerts, &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m.ID, CreatedAt: now, Text: p.English(), Phrase: p})
		}
	}
	return nil
}

// matchLate closes the gap between matching an arriving message and storing it. A
// subject committed in between (by the CLI, an import, another server) was not in the
// index when the message was matched, and whoever wrote it retro-matched it against the
// messages stored before it, which this one was not yet. Likewise a message stored in
// between (another arrival, here or on another server) was matched before this one was
// stored, and this one may have been matched without it: the store's check lets pass an
// arrival being stored or told to the index but not yet applied. So once the message is
// stored, the index catches up (indexing the message too) and the message is matched
// against the subjects and received messages whose latest change falls after before (the
// index's seq when matching began) and before the message's own: each pair is then found
// by exactly one side, the later. The message is compared with just those (the matcher
// keeps the recent changes), not with the whole index again; only when the window
// reaches back past what is kept does it search the index. pqs, when not nil, holds the
// persons prepared to match it.
func (ms *Messages) matchLate(ctx context.Context, sm *forewarn.StoredMessage, before int64, pqs []match.PreparedPerson) error {
	mt := ms.Matcher
	m := sm.Message
	// The index was told of the message when it became durable; it reads the log only
	// when a change before the message's is not applied yet.
	if !mt.Arrived(sm.ChangeSeq, m) {
		if err := mt.catchUpTo(ctx, sm.ChangeSeq); err != nil {
			return err
		}
	}
	mi, ok := mt.message(m.ID)
	if !ok || mi.seq <= before+1 {
		return nil // nothing was committed between the match and the message
	}
	have := map[string]bool{}
	for _, x := range sm.Matches {
		have[x.SubjectID+"/"+x.EarlierMessageID+"/"+x.EarlierPersonRef+"/"+x.PersonRef] = true
	}
	between := func(seq int64) bool { return seq > before && seq < mi.seq }
	window, kept := mt.window(before, mi.seq)
	if kept && len(window) == 0 {
		return nil
	}
	search := func(i int, d *forewarn.PersonDescriptor) []hit {
		if !kept {
			return mt.searchPrepared(preparedPerson(pqs, i, d), mt.Candidates)
		}
		return mt.searchAmong(preparedPerson(pqs, i, d), window, mt.Candidates)
	}
	now := ms.Clock.Now()
	var matches []*forewarn.Match
	var alerts []*forewarn.Alert
	ps := m.Persons()
	for i := range ps {
		d := &ps[i]
		var earlier []forewarn.Phrase
		for _, h := range search(i, d) {
			key := h.subjectID + "/" + h.earlierMessageID + "/" + h.earlierRef + "/" + d.Ref
			if have[key] || h.earlierMessageID == m.ID {
				continue
			}
			if h.subjectID == "" {
				wi, ok := mt.message(h.earlierMessageID)
				if !ok || !between(wi.seq) {
					continue
				}
				have[key] = true
				matches = append(matches, h.toMatch(m.ID, d))
				earlier = append(earlier, forewarn.Say(forewarn.PhraseAlertEarlierMessage, forewarn.LabelArg(wi.kind), forewarn.AgencyArg(wi.from), forewarn.DateArg(wi.created)))
				continue
			}
			si, ok := mt.subject(h.subjectID)
			if !ok || !between(si.seq) {
				continue
			}
			rejected, err := ms.Store.RejectedPair(ctx, h.subjectID, Fingerprint(d))
			if err != nil {
				return err
			}
			if rejected {
				continue
			}
			have[key] = true
			matches = append(matches, h.toMatch(m.ID, d))
			alerts = append(alerts, ms.subjectAlerts(m, d, h, now)...)
		}
		if len(earlier) > 0 {
			p := forewarn.Say(forewarn.PhraseAlertToldBefore, forewarn.LabelArg(m.Kind), forewarn.TextArg(m.ID), forewarn.AgencyArg(m.From),
				forewarn.TextArg(d.DisplayName()), forewarn.PhrasesArg(earlier...))
			alerts = append(alerts, &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m.ID, CreatedAt: now, Text: p.English(), Phrase: p})
		}
	}
	if len(matches) == 0 {
		return nil
	}
	if err := ms.Store.CreateMatches(ctx, forewarn.SystemActor("matcher"), matches, alerts); err != nil {
		return err
	}
	sm.Matches = append(sm.Matches, matches...)
	sm.Alerts = append(sm.Alerts, alerts...)
	return nil
}

// matchLateArrival is matchLate for an arrival stored and answered: a failure is logged
// (the arrival is stored and its sender has its receipt), and the notifier is woken when
// the late matches raised alerts, which may have queued notifications.
func (ms *Messages) matchLateArrival(ctx context.Context, sm *forewarn.StoredMessage, before int64, pqs []match.PreparedPerson) {
	alerts := len(sm.Alerts)
	if err := ms.matchLate(ctx, sm, before, pqs); err != nil {
		ms.Logger.Warn("could not match the subjects and messages written while a message arrived", "id", sm.Message.ID, "err", err)
	}
	if len(sm.Alerts) > alerts {
		ms.Notifier.Poke()
	}
}

// maxLateAfterAnswer bounds the arrivals being matched late after their sender was
// answered (afterAnswer). Beyond it an arrival is matched late before its answer, so a
// burst slows its sender rather than pile up work behind receipts already given.
const maxLateAfterAnswer = 128

// lateMatching holds the slots of the late matches running after their answer.
type lateMatching struct {
	once  sync.Once
	slots chan struct{}
}

func (l *lateMatching) get() chan struct{} {
	l.once.Do(func() { l.slots = make(chan struct{}, maxLateAfterAnswer) })
	return l.slots
}

// afterAnswer runs fn, an arrival's late match, without the arrival's answer waiting for
// it: the receipt says the message is durably stored, which it is; what the late match
// writes concerns this node alone, and waiting for it held each delivery in flight for
// another commit (a delivery holds one of the peer's in-flight places until it is
// answered: BenchmarkDeliveryPostgres, about 8% more messages per second). With every
// slot taken, fn runs now, before the answer. WaitLate waits for those running.
func (ms *Messages) afterAnswer(fn func()) {
	slots := ms.late.get()
	select {
	case slots <- struct{}{}:
		go func() {
			defer func() { <-slots }()
			fn()
		}()
	default:
		fn()
	}
}

// WaitLate returns once every late match running after its arrival was answered has
// ended: a node stopping waits for them before its last audit checkpoint, and a test
// before it reads what they wrote. An arrival answered meanwhile is matched late before
// its answer.
func (ms *Messages) WaitLate() {
	slots := ms.late.get()
	for range cap(slots) {
		slots <- struct{}{}
	}
	for range cap(slots) {
		<-slots
	}
}

// subjectAlerts words the alerts a match with one of the agency's subjects raises.
func (ms *Messages) subjectAlerts(m *forewarn.Message, d *forewarn.PersonDescriptor, h hit, now time.Time) []*forewarn.Alert {
	about := forewarn.Say(forewarn.PhraseAlertAbout, forewarn.LabelArg(m.Kind), forewarn.TextArg(m.ID), forewarn.AgencyArg(m.From), forewarn.TextArg(d.DisplayName()))
	si, _ := ms.Matcher.subject(h.subjectID)
	if si.watchlisted {
		p := forewarn.Say(forewarn.PhraseAlertHoldsWatchlisted, forewarn.PhrasesArg(about), forewarn.TextArg(si.name), forewarn.PhrasesArg(SummaryPhrase(h.explanation)))
		text := p.English()
		return []*forewarn.Alert{
			{Role: forewarn.RoleLiaison, Kind: "match", MessageID: m.ID, SubjectID: h.subjectID, Text: text, Phrase: p, CreatedAt: now},
			{Role: forewarn.RoleSupervisor, Kind: "match", MessageID: m.ID, SubjectID: h.subjectID, Text: text, Phrase: p, CreatedAt: now},
			{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m.ID, SubjectID: h.subjectID, Text: text, Phrase: p, CreatedAt: now},
		}
	}
	p := forewarn.Say(forewarn.PhraseAlertHolds, forewarn.PhrasesArg(about), forewarn.TextArg(si.name), forewarn.PhrasesArg(SummaryPhrase(h.explanation)))
	return []*forewarn.Alert{{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m.ID, SubjectID: h.subjectID, Text: p.English(), Phrase: p, CreatedAt: now}}
}

// EarlierMention is a message this node was told about a person in, as retro-matching
// shows it: when, by whom, and whether it was acknowledged.
type EarlierMention struct {
	Match   *forewarn.Match   `json:"match"`
	Message *forewarn.Message `json:"message"`
	Status  string            `json:"status"` // this node's read/acknowledgement of it
}

// RetroMatch finds every earlier message describing a person who matches the subject:
// "you were told about this person before". New pairs are stored as matches, with an
// alert to the analysts; pairs an analyst rejected are left out.
func (ms *Messages) RetroMatch(ctx context.Context, actor forewarn.Actor, s *forewarn.Subject) ([]EarlierMention, error) {
	mt := ms.Matcher
	if mt == nil {
		return nil, nil
	}
	// The subject is committed, so catching up indexes it, with everything else written
	// since; only an index that follows no store is told directly.
	if _, err := mt.CatchUp(ctx); err != nil {
		return nil, err
	}
	if mt.feed == nil {
		mt.AddSubject(s)
	}
	existing, _, err := ms.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: s.ID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	known := map[string]*forewarn.Match{}
	for _, m := range existing {
		known[m.MessageID+"/"+m.PersonRef] = m
	}
	now := ms.Clock.Now()
	var mentions []EarlierMention
	var fresh []*forewarn.Match
	var alerts []*forewarn.Alert
	for _, h := range mt.search(subjectPerson(s), 50) {
		if h.earlierMessageID == "" {
			continue
		}
		sm, err := ms.Store.Message(ctx, h.earlierMessageID)
		if err != nil {
			return nil, err
		}
		var d *forewarn.PersonDescriptor
		for _, p := range sm.Message.Persons() {
			if p.Ref == h.earlierRef {
				d = &p
			}
		}
		if d == nil {
			continue
		}
		mm, ok := known[sm.Message.ID+"/"+d.Ref]
		if ok && mm.Status == forewarn.MatchRejected {
			continue
		}
		if !ok {
			rejected, err := ms.Store.RejectedPair(ctx, s.ID, Fingerprint(d))
			if err != nil {
				return nil, err
			}
			if rejected {
				continue
			}
			mm = h.toMatch(sm.Message.ID, d)
			mm.SubjectID, mm.EarlierMessageID, mm.EarlierPersonRef = s.ID, "", ""
			fresh = append(fresh, mm)
			p := forewarn.Say(forewarn.PhraseAlertRetro, forewarn.LabelArg(sm.Message.Kind), forewarn.AgencyArg(sm.Message.From), forewarn.DateArg(sm.Message.Created),
				forewarn.TextArg(d.DisplayName()), forewarn.TextArg(s.PrimaryName()), forewarn.PhrasesArg(SummaryPhrase(h.explanation)))
			alerts = append(alerts, &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: sm.Message.ID, SubjectID: s.ID, CreatedAt: now, Text: p.English(), Phrase: p})
		}
		status := ""
		if len(sm.Deliveries) > 0 {
			status = sm.Deliveries[0].Status()
		}
		mentions = append(mentions, EarlierMention{Match: mm, Message: sm.Message, Status: status})
	}
	if len(fresh) > 0 {
		if err := ms.Store.CreateMatches(ctx, actor, fresh, alerts); err != nil {
			return nil, err
		}
	}
	return mentions, nil
}
