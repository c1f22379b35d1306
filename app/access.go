package app

import (
	"context"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
)

// accessCache keeps in memory what lets an API request through and what a send is
// checked against: API tokens with their users (by the secret's hash), peers, and sharing
// agreements (or that there is none). It is a cache of the store, never a second truth:
// every use first reads the store's access version (Store.AccessVersion), which every
// committed write to those tables moves on, whoever made it (this process, the CLI,
// another server on the same database); when it moved, everything held is dropped and
// read again. One read of one row then stands for the token, user, peer and agreement
// reads a request made, and what it held is refused at once once revoked elsewhere.
//
// Entries are shared between requests and never changed: whoever gets one only reads it.
type accessCache struct {
	mu         sync.Mutex
	version    int64
	tokens     map[string]tokenUser
	peers      map[string]*forewarn.Peer
	agreements map[string]*forewarn.SharingAgreement // nil: the peer has none
}

type tokenUser struct {
	token *forewarn.APIToken
	user  *forewarn.User
}

// maxAccessEntries bounds each of the cache's maps; past it, the map is emptied and
// filled again from the store as requests come.
const maxAccessEntries = 4096

// access is the cache as the store's access version v says it may be used: what it holds
// at v, and where what is read at v is kept.
type access struct {
	c *accessCache
	v int64
}

// accessKey is the context key of the access an API request read (WithAccess).
type accessKey struct{}

// requestAccess is the access a request read, and when.
type requestAccess struct {
	access
	at time.Time
}

// maxAccessReuse bounds how long after it was read the access a context carries stands
// for the store's: a request's own reads come within it; a goroutine that outlives its
// request with the request's context reads the version again.
const maxAccessReuse = time.Second

// WithAccess reads the store's access version once and returns ctx carrying it, so that
// everything one API request checks (its token, and a send's peers and agreements)
// answers from the cache at that version, instead of each check reading it again: one
// read of the store fewer per send. A token revoked elsewhere is refused from the next
// request on, as before, since each request reads the version afresh. A request that
// writes tokens, users, peers or agreements and then checks what it wrote checks with
// a context that does not carry it (the API's handlers write and answer).
func (n *Node) WithAccess(ctx context.Context) (context.Context, error) {
	a, err := n.readAccess(ctx)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, accessKey{}, requestAccess{a, time.Now()}), nil
}

// access returns the access ctx carries (WithAccess) when it is this node's and recent,
// else reads the store's access version once; the lookups of the access it returns
// answer from memory what the store has not changed since.
func (n *Node) access(ctx context.Context) (access, error) {
	if ra, ok := ctx.Value(accessKey{}).(requestAccess); ok && ra.c == &n.accessCache && time.Since(ra.at) < maxAccessReuse {
		return ra.access, nil
	}
	return n.readAccess(ctx)
}

// readAccess reads the store's access version and drops what the cache holds when it
// moved.
func (n *Node) readAccess(ctx context.Context) (access, error) {
	v, err := n.Store.AccessVersion(ctx)
	if err != nil {
		return access{}, err
	}
	c := &n.accessCache
	c.mu.Lock()
	if v != c.version {
		// Something changed: nothing held may be what the store says now. Versions are
		// random, not counted, so a database that went back (a failover to a standby that
		// lagged, a restore) and was written again does not come back to the number held.
		// A request that read an older version than another just did only costs the
		// other's entries: each entry is kept at the version read before it.
		c.version = v
		c.tokens, c.peers, c.agreements = nil, nil, nil
	}
	c.mu.Unlock()
	return access{c: c, v: v}, nil
}

// cached returns what m holds under key when the cache is at a's version.
func cached[V any](a access, m *map[string]V, key string) (V, bool) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	var zero V
	if a.c.version != a.v {
		return zero, false
	}
	v, ok := (*m)[key]
	return v, ok
}

// keep holds v under key, read after a's version was: unless the version has moved since
// (v may then be older than what the cache now stands for).
func keep[V any](a access, m *map[string]V, key string, v V) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	if a.c.version != a.v {
		return
	}
	if *m == nil || len(*m) >= maxAccessEntries {
		*m = map[string]V{}
	}
	(*m)[key] = v
}

// TokenUser returns the API token whose secret has this hash, unless it is revoked, and
// its user: Store.TokenUserByHash, answered from memory while the store's access version
// says neither changed.
func (n *Node) TokenUser(ctx context.Context, hash string) (*forewarn.APIToken, *forewarn.User, error) {
	a, err := n.access(ctx)
	if err != nil {
		return nil, nil, err
	}
	if tu, ok := cached(a, &a.c.tokens, hash); ok {
		return tu.token, tu.user, nil
	}
	t, u, err := n.Store.TokenUserByHash(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	keep(a, &a.c.tokens, hash, tokenUser{t, u})
	return t, u, nil
}

// peer returns the peer with this agency code (Store.Peer); ENOTFOUND when there is none.
func (a access) peer(ctx context.Context, store forewarn.Store, code string) (*forewarn.Peer, error) {
	if p, ok := cached(a, &a.c.peers, code); ok {
		return p, nil
	}
	p, err := store.Peer(ctx, code)
	if err != nil {
		return nil, err
	}
	keep(a, &a.c.peers, code, p)
	return p, nil
}

// agreement returns the sharing agreement with agency, nil when there is none.
func (a access) agreement(ctx context.Context, store forewarn.Store, agency string) (*forewarn.SharingAgreement, error) {
	if ag, ok := cached(a, &a.c.agreements, agency); ok {
		return ag, nil
	}
	ag, err := store.Agreement(ctx, agency)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		ag, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	keep(a, &a.c.agreements, agency, ag)
	return ag, nil
}
