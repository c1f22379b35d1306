package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// Fetching a peer's set outside any query: the asking node keeps the set of every peer it
// may ask privately up to date in the background (PrivateSync, on the worker's tick), so
// that no user's query carries a whole set — not the day's first, nor one after the
// peer's holdings changed (docs/private-match.md, "The asker keeps the set").

// DefaultPrivateSyncInterval is how often a peer's kept set is brought up to date when its
// day has not turned: each time costs the changes since, or a short "unchanged".
const DefaultPrivateSyncInterval = 10 * time.Minute

// privateRetry is how soon a failed fetch, or one that found the peer's day not turned
// yet, is tried again.
const privateRetry = 30 * time.Second

// privateRound is how often the running worker starts a round of the upkeep.
const privateRound = 5 * time.Second

// privateSyncing is when each peer's set was last fetched or tried, and whether a round
// is under way.
type privateSyncing struct {
	mu        sync.Mutex
	running   bool
	lastRound time.Time // wall clock
	tried     map[string]time.Time
	synced    map[string]time.Time
}

// sendPrivateSet answers a peer's fetch with this node's set: the set, the changes since
// the version the peer keeps, or neither when that is current. Only a peer whose sharing
// agreement covers private queries may fetch it (a peer without one is sent the set with
// an answer only); each fetch answered is audited as private_match.set_sent.
func (ms *Messages) sendPrivateSet(ctx context.Context, self string, doc *envelope.PrivateMatch) ([]byte, error) {
	a, err := ms.Store.Agreement(ctx, doc.From)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "%s has no sharing agreement with this node covering private queries (%s): its set is sent with an answer only", doc.From, forewarn.KindPrivateMatch)
	}
	if err != nil {
		return nil, err
	}
	if refusal := a.PermitsPrivateQuery(); refusal != nil {
		return nil, refusal
	}
	if a.PrivatePersonsPerDay == 0 {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "the agreement with %s allows no private queries a day (private_persons_per_day 0): its set is not sent", doc.From)
	}
	view, err := ms.privateCurrent(ctx, doc.HaveSet)
	if err != nil {
		return nil, err
	}
	out := &envelope.PrivateMatch{Stage: envelope.PrivateSetStage, QueryID: doc.QueryID, From: self, To: doc.From, Time: ms.Clock.Now()}
	how := view.describe(out, doc.HaveSet)
	sealed, err := envelope.SealPrivateMatch(out, ms.Signer)
	if err != nil {
		return nil, err
	}
	var detail string
	switch how {
	case "set":
		detail = fmt.Sprintf("sent %s the whole private-match set of epoch %s: %d fingerprints", doc.From, view.epoch, len(view.encoded)/8)
	case "changes":
		detail = fmt.Sprintf("sent %s the changes to its private-match set of epoch %s: %d added, %d removed", doc.From, view.epoch, len(view.delta.Added), len(view.delta.Removed))
	default:
		detail = fmt.Sprintf("told %s its private-match set of epoch %s is unchanged", doc.From, view.epoch)
	}
	if err := ms.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: forewarn.Actor{Kind: forewarn.ActorPeer, ID: doc.From}, Action: "private_match.set_sent",
		ObjectType: "peer", ObjectID: doc.From, Detail: detail}); err != nil {
		return nil, err
	}
	return sealed, nil
}

// FetchPeerSet brings the set this node keeps of peer up to date: it asks for the peer's
// current set naming the version it keeps, and keeps what comes back (the set, or the
// changes applied and checked). A set document that does not lead to the version it names
// is refused and audited, and nothing is kept. It returns how the set came: "set",
// "changes" or "unchanged".
func (ms *Messages) FetchPeerSet(ctx context.Context, peerCode string) (string, error) {
	pt, ok := ms.Transport.(PrivateTransport)
	if !ok {
		return "", forewarn.Errorf(forewarn.EINTERNAL, "this node has no transport for private queries")
	}
	self, err := ms.Agency(ctx)
	if err != nil {
		return "", err
	}
	peer, err := ms.Store.Peer(ctx, peerCode)
	if err != nil {
		return "", err
	}
	kept, err := ms.keptPeerSet(ctx, peerCode)
	if err != nil {
		return "", err
	}
	now := ms.Clock.Now()
	doc := &envelope.PrivateMatch{Stage: envelope.PrivateFetchStage, QueryID: forewarn.NewID(now), From: self, To: peerCode, Time: now}
	if kept != nil {
		doc.HaveSet = kept.digest
	}
	sealed, err := envelope.SealPrivateMatch(doc, ms.Signer)
	if err != nil {
		return "", err
	}
	raw, err := pt.PrivateMatch(ctx, peer, sealed)
	if err != nil {
		return "", forewarn.Errorf(forewarn.ECONFLICT, "%s did not send its private-match set: %v", peerCode, err)
	}
	ans, err := envelope.OpenPrivateMatch(raw, ms.onlyPeer(peer), envelope.MaxPrivateAnswerBytes)
	if err == nil {
		switch {
		case ans.Stage != envelope.PrivateSetStage:
			err = forewarn.Errorf(forewarn.EINVALID, "the peer sent a %s, not its set", ans.Stage)
		case ans.QueryID != doc.QueryID || ans.From != peerCode || ans.To != self:
			err = forewarn.Errorf(forewarn.EINVALID, "a replayed or foreign set: it answers fetch %s from %s to %s, not %s", ans.QueryID, ans.From, ans.To, doc.QueryID)
		case ans.Time.Before(now.Add(-forewarn.MaxClockSkew)) || ans.Time.After(now.Add(PrivateTimeWindow)):
			err = forewarn.Errorf(forewarn.EINVALID, "the set is dated %s, not within an hour after the fetch", ans.Time.UTC().Format(time.RFC3339))
		}
	}
	if err != nil {
		return "", ms.refusePrivate(ctx, peerCode, doc.QueryID, peer.BaseURL, err)
	}
	if _, err := ms.answerSet(ctx, forewarn.SystemActor("private-sync"), peerCode, ans, kept); err != nil {
		return "", ms.refusePrivate(ctx, peerCode, doc.QueryID, peer.BaseURL, forewarn.Errorf(forewarn.EINVALID, "%v", err))
	}
	switch {
	case ans.SetFrom != "":
		return "changes", nil
	case len(ans.Set) > 0:
		return "set", nil
	}
	return "unchanged", nil
}

// PrivateSync fetches the set of every peer whose sharing agreement covers private
// queries when it is due: at once when none is kept or the kept one is of another day
// than this node's (the day turned), else every PrivateSyncInterval; a failed fetch, or
// one that finds the peer's day not turned yet, is tried again after privateRetry. A
// peer without such an agreement is not fetched from (its queries carry its set).
func (ms *Messages) PrivateSync(ctx context.Context) error {
	as, err := ms.Store.Agreements(ctx)
	if err != nil {
		return err
	}
	every := ms.PrivateSyncInterval
	if every == 0 {
		every = DefaultPrivateSyncInterval
	}
	s := &ms.privateSyncing
	for _, a := range as {
		if a.PermitsPrivateQuery() != nil {
			continue
		}
		now := ms.Clock.Now()
		epoch, _, err := ms.Store.PrivatePeerSetVersion(ctx, a.Agency)
		if err != nil && forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
			return err
		}
		s.mu.Lock()
		if s.tried == nil {
			s.tried, s.synced = map[string]time.Time{}, map[string]time.Time{}
		}
		tried, synced := s.tried[a.Agency], s.synced[a.Agency]
		s.mu.Unlock()
		due := now.Sub(synced) >= every
		if epoch != privateEpoch(now) {
			due = true
		}
		if !due || now.Sub(tried) < privateRetry && now.After(tried) {
			continue
		}
		s.mu.Lock()
		s.tried[a.Agency] = now
		s.mu.Unlock()
		start := time.Now()
		how, err := ms.FetchPeerSet(ctx, a.Agency)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ms.Logger.Warn("could not fetch a peer's private-match set", "peer", a.Agency, "err", err)
			continue
		}
		ms.Logger.Debug("fetched a peer's private-match set", "peer", a.Agency, "how", how, "took", time.Since(start))
		if epoch, _, err := ms.Store.PrivatePeerSetVersion(ctx, a.Agency); err == nil && epoch == privateEpoch(now) {
			s.mu.Lock()
			s.synced[a.Agency] = now
			s.mu.Unlock()
		}
	}
	return nil
}

// privateInBackground starts a round of the private-matching upkeep unless one is under
// way: the next day's set built ahead of midnight, and the kept sets of peers fetched.
// Both can take long, and neither holds up deliveries.
func (ms *Messages) privateInBackground(ctx context.Context, wg *sync.WaitGroup) {
	s := &ms.privateSyncing
	s.mu.Lock()
	// A round reads the agreements and the kept versions: every few seconds is enough.
	if s.running || time.Since(s.lastRound) < privateRound {
		s.mu.Unlock()
		return
	}
	s.running, s.lastRound = true, time.Now()
	s.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ms.privateWarmIfAgreed(ctx); err != nil && ctx.Err() == nil {
			ms.Logger.Error("building the day's private-match set failed", "err", err)
		}
		if _, err := ms.PrivatePrepare(ctx); err != nil && ctx.Err() == nil {
			ms.Logger.Error("building the next day's private-match set failed", "err", err)
		}
		if err := ms.PrivateSync(ctx); err != nil && ctx.Err() == nil {
			ms.Logger.Error("fetching peers' private-match sets failed", "err", err)
		}
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
}

// privateWarmIfAgreed builds the day's set when a node starts, before any query asks for
// it, if a sharing agreement covers private queries (a peer is then expected to ask).
func (ms *Messages) privateWarmIfAgreed(ctx context.Context) error {
	h := &ms.holdings
	h.mu.Lock()
	loaded := h.loaded
	h.mu.Unlock()
	if loaded {
		return nil
	}
	as, err := ms.Store.Agreements(ctx)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.PermitsPrivateQuery() == nil && a.PrivatePersonsPerDay > 0 {
			return ms.PrivateWarm(ctx)
		}
	}
	return nil
}
