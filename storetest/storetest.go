// Package storetest is the conformance suite every forewarn.Store backend must pass: the
// sqlite and postgres packages run the same Run against their own databases, so the two
// cannot drift apart. It also holds the test clock and signer the suite drives them with.
package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/edsig"
	"github.com/forewarn/forewarn/sqlstore"
)

// Opener opens a new, empty store with opts; it closes the store when the test ends.
type Opener func(t *testing.T, opts sqlstore.Options) forewarn.Store

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t.UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Signer is a forewarn.Signer over an in-memory ed25519 key.
type Signer struct{ key ed25519.PrivateKey }

// NewSigner returns a signer with a fresh random key.
func NewSigner() *Signer {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return &Signer{key: key}
}

// PublicKey returns the signer's public key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Sign signs msg.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return edsig.Sign(s.key, msg), nil }

// Start is the suite's clock origin: the day Turkey first warned France.
var Start = time.Date(2014, 12, 3, 9, 0, 0, 0, time.UTC)

// Agency is the agency the suite's nodes belong to.
var Agency = forewarn.Agency{Code: "TR-MIT", Name: "Millî İstihbarat Teşkilatı", Country: "TR"}

var (
	analyst = forewarn.UserActor("analyst1")
	system  = forewarn.SystemActor("init")
)

// Env is one store under test with its clock and key.
type Env struct {
	T      *testing.T
	Ctx    context.Context
	Store  forewarn.Store
	Clock  *Clock
	Signer *Signer
}

// NewEnv opens a store on a clock at Start, signing a checkpoint every checkpointEvery
// entries (none when it is 0).
func NewEnv(t *testing.T, open Opener, checkpointEvery int) *Env {
	t.Helper()
	e := &Env{T: t, Ctx: context.Background(), Clock: NewClock(Start), Signer: NewSigner()}
	opts := sqlstore.Options{Now: e.Clock.Now, Agency: Agency.Code, CheckpointEvery: checkpointEvery}
	if checkpointEvery > 0 {
		opts.Signer = e.Signer
	}
	e.Store = open(t, opts)
	return e
}

// Verify checks the whole audit chain and its checkpoints, streaming it as an oversight
// tool would, and returns the number of entries.
func (e *Env) Verify() (int64, error) {
	e.T.Helper()
	cps, err := e.Store.AuditCheckpoints(e.Ctx)
	if err != nil {
		e.T.Fatalf("AuditCheckpoints: %v", err)
	}
	v := forewarn.NewAuditVerifier(e.Signer.PublicKey(), cps)
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error {
		v.Add(a)
		return nil
	}); err != nil {
		e.T.Fatalf("ScanAudit: %v", err)
	}
	return v.Finish()
}

// MustVerify fails the test unless the chain verifies, and returns its length.
func (e *Env) MustVerify() int64 {
	e.T.Helper()
	n, err := e.Verify()
	if err != nil {
		e.T.Fatalf("audit chain does not verify: %v", err)
	}
	return n
}

// AuditCount returns the number of audit entries.
func (e *Env) AuditCount() int {
	e.T.Helper()
	n := 0
	if err := e.Store.ScanAudit(e.Ctx, func(*forewarn.AuditEntry) error { n++; return nil }); err != nil {
		e.T.Fatalf("ScanAudit: %v", err)
	}
	return n
}

// LastAudit returns the newest audit entry.
func (e *Env) LastAudit() *forewarn.AuditEntry {
	e.T.Helper()
	var last *forewarn.AuditEntry
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error { last = a; return nil }); err != nil {
		e.T.Fatalf("ScanAudit: %v", err)
	}
	if last == nil {
		e.T.Fatal("the audit trail is empty")
	}
	return last
}

// Init initialises the node with an admin user.
func (e *Env) Init() {
	e.T.Helper()
	info := &forewarn.NodeInfo{Agency: Agency, PublicKey: e.Signer.PublicKey()}
	admin := &forewarn.User{Username: "admin", DisplayName: "Node admin", Roles: []forewarn.Role{forewarn.RoleAdmin}}
	if err := e.Store.InitNode(e.Ctx, system, info, admin); err != nil {
		e.T.Fatalf("InitNode: %v", err)
	}
}

// CreateSubject stores a subject named name and returns it.
func (e *Env) CreateSubject(name string) *forewarn.Subject {
	e.T.Helper()
	s := NewSubject(name)
	if err := e.Store.CreateSubject(e.Ctx, analyst, s); err != nil {
		e.T.Fatalf("CreateSubject(%q): %v", name, err)
	}
	return s
}

// NewSubject returns a valid subject named name.
func NewSubject(name string) *forewarn.Subject {
	return &forewarn.Subject{
		Names:         []forewarn.Name{{Value: name, Script: "Latn", Lang: "fr", Source: "FR-DGSI"}, {Value: "Omar Ismail Mostefai", Script: "Latn", Lang: "tr", Source: "TR-MIT"}},
		BirthDate:     forewarn.PartialDate{Year: 1985, Month: 11},
		Birthplace:    "Courcouronnes",
		Nationalities: []string{"fr"},
		Documents:     []forewarn.Document{{Kind: "passport", Number: "05AB12345", Country: "fr"}},
		Gender:        forewarn.GenderMale,
		Notes:         "Known to FR-DGSI; radicalised 2010.",
	}
}

// NewClaim returns a valid travel-entry claim about subjectID.
func NewClaim(subjectID string) *forewarn.Claim {
	return &forewarn.Claim{
		SubjectID: subjectID,
		Kind:      forewarn.ClaimTravelEntry,
		Value:     "TR",
		ValidFrom: forewarn.PartialDate{Year: 2013},
		Source:    forewarn.Source{Agency: "TR-MIT", Name: "border control"},
		Grading:   forewarn.Grading{Reliability: "B", Credibility: 2},
		Note:      "entry at Istanbul Atatürk",
	}
}

// WantCode fails the test unless err carries the Forewarn error code.
func WantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := forewarn.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"Node", testNode},
		{"Users", testUsers},
		{"UserLanguage", testUserLanguage},
		{"Subjects", testSubjects},
		{"FindSubjects", testFindSubjects},
		{"Claims", testClaims},
		{"Associations", testAssociations},
		{"InvalidInputWritesNothing", testInvalidInputWritesNothing},
		{"RecordAndFilterAudit", testRecordAndFilterAudit},
		{"AuditDetailsRead", testAuditDetailsRead},
		{"Checkpoints", testCheckpoints},
		{"CheckpointsNeedSigner", testCheckpointsNeedSigner},
		{"ConcurrentMessageWriters", testConcurrentMessageWriters},
		{"Peers", testPeers},
		{"PeerIsAnother", testPeerIsAnother},
		{"SendAndDeliver", testSendAndDeliver},
		{"Envelopes", testEnvelopes},
		{"ReceiveOnce", testReceiveOnce},
		{"ReceiveConcurrently", testReceiveConcurrently},
		{"Acknowledgements", testAcknowledgements},
		{"Escalation", testEscalation},
		{"Phrases", testPhrases},
		{"ResolveAlert", testResolveAlert},
		{"DueFlashFirst", testDueFlashFirst},
		{"ClaimDeliveries", testClaimDeliveries},
		{"ClaimDueTo", testClaimDueTo},
		{"ClaimNotifications", testClaimNotifications},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Witnessing", testWitnessing},
		{"PrivateMatch", testPrivateMatch},
		{"PrivatePeerSet", testPrivatePeerSet},
		{"AuditPolicy", testAuditPolicy},
		{"AckClosesAlerts", testAckClosesAlerts},
		{"Owners", testOwners},
		{"MessageFilters", testMessageFilters},
		{"UrgencyKey", testUrgencyKey},
		{"Matches", testMatches},
		{"PreferClaim", testPreferClaim},
		{"Tokens", testTokens},
		{"TokenExpiryAndRevocation", testTokenExpiryAndRevocation},
		{"AccessVersion", testAccessVersion},
		{"AuditRecordsToken", testAuditRecordsToken},
		{"Sessions", testSessions},
		{"EndAndPurgeSessions", testEndAndPurgeSessions},
		{"LoginAttempts", testLoginAttempts},
		{"ChangeLog", testChangeLog},
		{"ChangeLogFollowedConcurrently", testChangeLogFollowedConcurrently},
		{"ChangeSeqOfArrivals", testChangeSeqOfArrivals},
		{"MatchedThrough", testMatchedThrough},
		{"ImportSync", testImportSync},
		{"ImportJobs", testImportJobs},
		{"ImportRaw", testImportRaw},
		{"NotificationOutbox", testNotificationOutbox},
		{"NotificationSettings", testNotificationSettings},
		{"TAXII", testTAXII},
		{"Feeds", testFeeds},
		{"AcknowledgeLocally", testAcknowledgeLocally},
		{"Agreements", testAgreements},
		{"Forwards", testForwards},
		{"PurposePolicy", testPurposePolicy},
		{"Retention", testRetention},
		{"ErasureNotices", testErasureNotices},
		{"ErasureReportsOldAuditText", testErasureReportsOldAuditText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

func testNode(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	_, err := e.Store.Node(e.Ctx)
	WantCode(t, err, forewarn.ENOTFOUND)

	e.Init()
	n, err := e.Store.Node(e.Ctx)
	if err != nil {
		t.Fatalf("Node: %v", err)
	}
	want := &forewarn.NodeInfo{Agency: Agency, PublicKey: e.Signer.PublicKey(), CreatedAt: Start}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("Node = %+v, want %+v", n, want)
	}
	admin, err := e.Store.UserByUsername(e.Ctx, "admin")
	if err != nil || !admin.HasRole(forewarn.RoleAdmin) {
		t.Errorf("admin user = %+v, %v; want an admin", admin, err)
	}
	actions := auditActions(t, e)
	if want := []string{"node.init", "user.create"}; !reflect.DeepEqual(actions, want) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}

	info := &forewarn.NodeInfo{Agency: Agency, PublicKey: e.Signer.PublicKey()}
	other := &forewarn.User{Username: "admin2", Roles: []forewarn.Role{forewarn.RoleAdmin}}
	WantCode(t, e.Store.InitNode(e.Ctx, system, info, other), forewarn.ECONFLICT)
	if _, err := e.Store.UserByUsername(e.Ctx, "admin2"); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("a refused second InitNode created its admin: %v", err)
	}
	if n := e.AuditCount(); n != 2 {
		t.Errorf("audit entries after a refused InitNode = %d, want 2", n)
	}
	e.MustVerify()
}

func auditActions(t *testing.T, e *Env) []string {
	t.Helper()
	var as []string
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error { as = append(as, a.Action); return nil }); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	return as
}

func testUsers(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	admin := forewarn.UserActor("admin")
	u := &forewarn.User{Username: "analyst1", DisplayName: "Ayşe Yılmaz", Roles: []forewarn.Role{forewarn.RoleAnalyst, forewarn.RoleLiaison}, PasswordHash: "$argon2id$v=19$first", MustChangePassword: true}
	if err := e.Store.CreateUser(e.Ctx, admin, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u.ID == "" || !u.CreatedAt.Equal(Start) {
		t.Errorf("created user has ID %q and CreatedAt %v; want an ID and %v", u.ID, u.CreatedAt, Start)
	}
	got, err := e.Store.UserByUsername(e.Ctx, "analyst1")
	if err != nil {
		t.Fatalf("UserByUsername: %v", err)
	}
	if !reflect.DeepEqual(got, u) {
		t.Errorf("UserByUsername = %+v, want %+v", got, u)
	}

	dup := &forewarn.User{Username: "analyst1", Roles: []forewarn.Role{forewarn.RoleOversight}}
	WantCode(t, e.Store.CreateUser(e.Ctx, admin, dup), forewarn.ECONFLICT)
	_, err = e.Store.UserByUsername(e.Ctx, "nobody")
	WantCode(t, err, forewarn.ENOTFOUND)

	e.Clock.Advance(time.Hour)
	upd := *u
	upd.Roles = []forewarn.Role{forewarn.RoleSupervisor}
	upd.Disabled = true
	upd.PasswordHash = "$argon2id$v=19$second"
	upd.CreatedAt = time.Time{}
	if err := e.Store.UpdateUser(e.Ctx, admin, &upd); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	got, err = e.Store.UserByUsername(e.Ctx, "analyst1")
	if err != nil {
		t.Fatalf("UserByUsername: %v", err)
	}
	if !got.Disabled || !reflect.DeepEqual(got.Roles, upd.Roles) || got.PasswordHash != upd.PasswordHash || !got.CreatedAt.Equal(Start) {
		t.Errorf("after UpdateUser got %+v; want disabled supervisor with the new hash, created at %v", got, Start)
	}
	last := e.LastAudit()
	if last.Action != "user.update" || last.ObjectID != u.ID || !strings.Contains(last.Detail, "password changed") || last.Before != forewarn.Digest(u) || last.After != forewarn.Digest(got) {
		t.Errorf("update audited as %+v", last)
	}

	other := &forewarn.User{Username: "oversight1", Roles: []forewarn.Role{forewarn.RoleOversight}}
	if err := e.Store.CreateUser(e.Ctx, admin, other); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	rename := *other
	rename.Username = "analyst1"
	WantCode(t, e.Store.UpdateUser(e.Ctx, admin, &rename), forewarn.ECONFLICT)
	ghost := &forewarn.User{ID: forewarn.NewID(Start), Username: "ghost", Roles: []forewarn.Role{forewarn.RoleAnalyst}}
	WantCode(t, e.Store.UpdateUser(e.Ctx, admin, ghost), forewarn.ENOTFOUND)

	users, err := e.Store.Users(e.Ctx)
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if want := []string{"analyst1", "oversight1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Users = %v, want %v", names, want)
	}
	if n := e.MustVerify(); n != 3 {
		t.Errorf("audit entries = %d, want 3 (two creates, one update)", n)
	}
}

func testSubjects(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	if s.ID == "" || !s.CreatedAt.Equal(Start) || !s.UpdatedAt.Equal(Start) {
		t.Fatalf("created subject has ID %q, times %v %v", s.ID, s.CreatedAt, s.UpdatedAt)
	}
	if s.Names[0].Kind != forewarn.NamePrimary || s.Watch != forewarn.WatchNone || s.Nationalities[0] != "FR" {
		t.Errorf("CreateSubject did not normalise: %+v", s)
	}
	create := e.LastAudit()
	if create.Action != "subject.create" || create.ObjectType != "subject" || create.ObjectID != s.ID || create.Before != "" || create.After != forewarn.Digest(s) || create.Actor != analyst || !create.Time.Equal(Start) {
		t.Errorf("create audited as %+v", create)
	}

	e.Clock.Advance(time.Minute)
	got, err := e.Store.Subject(e.Ctx, analyst, s.ID)
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("Subject = %+v\nwant %+v", got, s)
	}
	read := e.LastAudit()
	if read.Action != "subject.read" || read.ObjectID != s.ID || read.After != create.After || read.Actor != analyst || !read.Time.Equal(Start.Add(time.Minute)) {
		t.Errorf("read audited as %+v; want subject.read of the created version", read)
	}

	e.Clock.Advance(time.Hour)
	upd := *got
	upd.Watch = forewarn.WatchListed
	upd.Notes = "Watch-listed after the Turkish warning."
	upd.CreatedAt = time.Time{}
	if err := e.Store.UpdateSubject(e.Ctx, analyst, &upd); err != nil {
		t.Fatalf("UpdateSubject: %v", err)
	}
	if !upd.CreatedAt.Equal(Start) || !upd.UpdatedAt.Equal(Start.Add(time.Hour+time.Minute)) {
		t.Errorf("updated subject times %v %v", upd.CreatedAt, upd.UpdatedAt)
	}
	update := e.LastAudit()
	if update.Action != "subject.update" || update.Before != create.After || update.After != forewarn.Digest(&upd) {
		t.Errorf("update audited as %+v", update)
	}
	got, err = e.Store.Subject(e.Ctx, analyst, s.ID)
	if err != nil || !reflect.DeepEqual(got, &upd) {
		t.Errorf("Subject after update = %+v, %v\nwant %+v", got, err, &upd)
	}

	before := e.AuditCount()
	_, err = e.Store.Subject(e.Ctx, analyst, forewarn.NewID(Start))
	WantCode(t, err, forewarn.ENOTFOUND)
	ghost := NewSubject("Nobody")
	ghost.ID = forewarn.NewID(Start)
	WantCode(t, e.Store.UpdateSubject(e.Ctx, analyst, ghost), forewarn.ENOTFOUND)
	noID := NewSubject("No ID")
	WantCode(t, e.Store.UpdateSubject(e.Ctx, analyst, noID), forewarn.EINVALID)
	if n := e.AuditCount(); n != before {
		t.Errorf("failed calls wrote %d audit entries", n-before)
	}
	if n := e.MustVerify(); n != 4 {
		t.Errorf("audit entries = %d, want 4", n)
	}

	// Watch-listing is changed alone, with its reason in the audit entry; without a
	// reason, to the state it is in, or on a subject that does not exist, nothing is written.
	WantCode(t, e.Store.SetWatch(e.Ctx, analyst, s.ID, forewarn.WatchNone, " "), forewarn.EINVALID)
	WantCode(t, e.Store.SetWatch(e.Ctx, analyst, s.ID, "maybe", "why not"), forewarn.EINVALID)
	WantCode(t, e.Store.SetWatch(e.Ctx, analyst, s.ID, forewarn.WatchListed, "again"), forewarn.ECONFLICT)
	WantCode(t, e.Store.SetWatch(e.Ctx, analyst, ghost.ID, forewarn.WatchNone, "gone"), forewarn.ENOTFOUND)
	if n := e.AuditCount(); n != 4 {
		t.Errorf("refused watch changes wrote %d audit entries", n-4)
	}
	e.Clock.Advance(time.Hour)
	if err := e.Store.SetWatch(e.Ctx, analyst, s.ID, forewarn.WatchNone, "cleared by the court"); err != nil {
		t.Fatalf("SetWatch: %v", err)
	}
	watch := e.LastAudit()
	if watch.Action != "subject.watch" || watch.ObjectID != s.ID || !strings.HasPrefix(watch.Detail, "none; note sha256:") || strings.Contains(watch.Detail, "court") || watch.Before != forewarn.Digest(&upd) {
		t.Errorf("watch change audited as %+v; want the reason's digest, not the reason", watch)
	}
	if es, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{Action: "subject.watch", ObjectID: s.ID}); err != nil || len(es) == 0 || es[len(es)-1].Note != "cleared by the court" {
		t.Errorf("the watch change's reason is not kept beside the chain: %+v, %v", es, err)
	}
	if got, err := e.Store.Subject(e.Ctx, analyst, s.ID); err != nil || got.Watch != forewarn.WatchNone || got.Notes != upd.Notes || !got.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("Subject after SetWatch = %+v, %v", got, err)
	}
}

func testFindSubjects(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	var ids []string // in creation order; by name: 0, 2, 4, 1, 3
	for i := range 5 {
		s := NewSubject(fmt.Sprintf("Subject %d", (i*3)%5))
		if i%2 == 0 {
			s.Watch = forewarn.WatchListed
		}
		if err := e.Store.CreateSubject(e.Ctx, analyst, s); err != nil {
			t.Fatalf("CreateSubject: %v", err)
		}
		ids = append(ids, s.ID)
		e.Clock.Advance(time.Second)
	}
	tests := []struct {
		filter  forewarn.SubjectFilter
		want    []string // newest first
		total   int
		wantErr string
	}{
		{filter: forewarn.SubjectFilter{}, want: []string{ids[4], ids[3], ids[2], ids[1], ids[0]}, total: 5},
		{filter: forewarn.SubjectFilter{Watch: forewarn.WatchListed}, want: []string{ids[4], ids[2], ids[0]}, total: 3},
		{filter: forewarn.SubjectFilter{Watch: forewarn.WatchNone}, want: []string{ids[3], ids[1]}, total: 2},
		{filter: forewarn.SubjectFilter{Offset: 1, Limit: 2}, want: []string{ids[3], ids[2]}, total: 5},
		{filter: forewarn.SubjectFilter{Offset: 10}, want: []string{}, total: 5},
		{filter: forewarn.SubjectFilter{Sort: forewarn.SortName}, want: []string{ids[0], ids[2], ids[4], ids[1], ids[3]}, total: 5},
		{filter: forewarn.SubjectFilter{Sort: forewarn.SortNameReverse, Offset: 1, Limit: 2}, want: []string{ids[1], ids[4]}, total: 5},
		{filter: forewarn.SubjectFilter{Sort: forewarn.SortName, Watch: forewarn.WatchListed}, want: []string{ids[0], ids[2], ids[4]}, total: 3},
		{filter: forewarn.SubjectFilter{Sort: forewarn.SortLeastChanged}, want: []string{ids[0], ids[1], ids[2], ids[3], ids[4]}, total: 5},
		{filter: forewarn.SubjectFilter{Sort: forewarn.SortRecentlyChanged, Watch: forewarn.WatchNone}, want: []string{ids[3], ids[1]}, total: 2},
		{filter: forewarn.SubjectFilter{Sort: "birth"}, wantErr: forewarn.EINVALID},
		{filter: forewarn.SubjectFilter{Offset: -1}, wantErr: forewarn.EINVALID},
		{filter: forewarn.SubjectFilter{Limit: -1}, wantErr: forewarn.EINVALID},
		{filter: forewarn.SubjectFilter{Watch: "maybe"}, wantErr: forewarn.EINVALID},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.filter), func(t *testing.T) {
			before := e.AuditCount()
			got, total, err := e.Store.FindSubjects(e.Ctx, analyst, tt.filter)
			if tt.wantErr != "" {
				WantCode(t, err, tt.wantErr)
				if n := e.AuditCount(); n != before {
					t.Errorf("refused FindSubjects wrote %d audit entries", n-before)
				}
				return
			}
			if err != nil {
				t.Fatalf("FindSubjects: %v", err)
			}
			gotIDs := []string{}
			for _, s := range got {
				gotIDs = append(gotIDs, s.ID)
			}
			if !reflect.DeepEqual(gotIDs, tt.want) || total != tt.total {
				t.Errorf("FindSubjects = %v (total %d), want %v (total %d)", gotIDs, total, tt.want, tt.total)
			}
			list := e.LastAudit()
			if list.Action != "subject.list" || list.Actor != analyst || e.AuditCount() != before+1 {
				t.Errorf("FindSubjects audited as %+v", list)
			}
			for _, id := range tt.want {
				if !strings.Contains(list.Detail, id) {
					t.Errorf("subject.list detail %q does not name returned subject %s", list.Detail, id)
				}
			}
		})
	}
	e.MustVerify()
}

func testClaims(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	e.Clock.Advance(time.Hour)
	entry := NewClaim(s.ID)
	if err := e.Store.CreateClaim(e.Ctx, analyst, entry); err != nil {
		t.Fatalf("CreateClaim: %v", err)
	}
	if entry.ID == "" || !entry.RecordedAt.Equal(Start.Add(time.Hour)) {
		t.Errorf("created claim has ID %q, RecordedAt %v", entry.ID, entry.RecordedAt)
	}
	last := e.LastAudit()
	if last.Action != "claim.create" || last.ObjectType != "claim" || last.ObjectID != entry.ID || last.After != forewarn.Digest(entry) || !strings.Contains(last.Detail, s.ID) {
		t.Errorf("claim audited as %+v", last)
	}
	e.Clock.Advance(time.Hour)
	noExit := &forewarn.Claim{SubjectID: s.ID, Kind: forewarn.ClaimTravelExit, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013, Month: 5}, ValidTo: forewarn.PartialDate{Year: 2014, Month: 12, Day: 1},
		Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "F", Credibility: 6}, Negative: true}
	if err := e.Store.CreateClaim(e.Ctx, analyst, noExit); err != nil {
		t.Fatalf("CreateClaim: %v", err)
	}
	got, err := e.Store.Claims(e.Ctx, s.ID)
	if err != nil {
		t.Fatalf("Claims: %v", err)
	}
	if want := []*forewarn.Claim{entry, noExit}; !reflect.DeepEqual(got, want) {
		t.Errorf("Claims = %+v\nwant %+v", got, want)
	}

	other := e.CreateSubject("Someone Else")
	if got, err := e.Store.Claims(e.Ctx, other.ID); err != nil || len(got) != 0 {
		t.Errorf("Claims of a subject without claims = %v, %v; want none", got, err)
	}
	missing := forewarn.NewID(Start)
	err = e.Store.CreateClaim(e.Ctx, analyst, NewClaim(missing))
	WantCode(t, err, forewarn.ENOTFOUND)
	if !strings.Contains(forewarn.ErrorMessage(err), missing) {
		t.Errorf("error %q does not name the missing subject %s", err, missing)
	}
	_, err = e.Store.Claims(e.Ctx, missing)
	WantCode(t, err, forewarn.ENOTFOUND)
	if n := e.MustVerify(); n != 4 {
		t.Errorf("audit entries = %d, want 4", n)
	}
}

func testAssociations(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	a, b, c := e.CreateSubject("Suspect A"), e.CreateSubject("Suspect B"), e.CreateSubject("Suspect C")
	ab := &forewarn.Association{FromID: a.ID, ToID: b.ID, Kind: forewarn.AssocIdentifiedWith, Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 3}, Note: "found while investigating the four"}
	if err := e.Store.CreateAssociation(e.Ctx, analyst, ab); err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	e.Clock.Advance(time.Minute)
	cb := &forewarn.Association{FromID: c.ID, ToID: b.ID, Kind: forewarn.AssocTravelledWith, Source: forewarn.Source{Name: "flight manifest"}, Grading: forewarn.Grading{Reliability: "C", Credibility: 2}}
	if err := e.Store.CreateAssociation(e.Ctx, analyst, cb); err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	last := e.LastAudit()
	if last.Action != "association.create" || last.ObjectID != cb.ID || last.After != forewarn.Digest(cb) {
		t.Errorf("association audited as %+v", last)
	}
	tests := []struct {
		subject string
		want    []*forewarn.Association
	}{
		{a.ID, []*forewarn.Association{ab}},
		{b.ID, []*forewarn.Association{ab, cb}},
		{c.ID, []*forewarn.Association{cb}},
	}
	for _, tt := range tests {
		got, err := e.Store.Associations(e.Ctx, tt.subject)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Associations(%s) = %+v, %v\nwant %+v", tt.subject, got, err, tt.want)
		}
	}
	missing := forewarn.NewID(Start)
	err := e.Store.CreateAssociation(e.Ctx, analyst, &forewarn.Association{FromID: a.ID, ToID: missing, Kind: forewarn.AssocAssociateOf, Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "A", Credibility: 1}})
	WantCode(t, err, forewarn.ENOTFOUND)
	if !strings.Contains(forewarn.ErrorMessage(err), missing) {
		t.Errorf("error %q does not name the missing subject %s", err, missing)
	}
	_, err = e.Store.Associations(e.Ctx, missing)
	WantCode(t, err, forewarn.ENOTFOUND)
	if n := e.MustVerify(); n != 5 {
		t.Errorf("audit entries = %d, want 5", n)
	}
}

func testInvalidInputWritesNothing(t *testing.T, open Opener) {
	e := NewEnv(t, open, 1)
	e.Init()
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	subject := func(edit func(*forewarn.Subject)) func() error {
		return func() error {
			v := NewSubject("Valid Name")
			edit(v)
			return e.Store.CreateSubject(e.Ctx, analyst, v)
		}
	}
	claim := func(edit func(*forewarn.Claim)) func() error {
		return func() error {
			c := NewClaim(s.ID)
			edit(c)
			return e.Store.CreateClaim(e.Ctx, analyst, c)
		}
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"unknown nationality XX", subject(func(v *forewarn.Subject) { v.Nationalities = []string{"XX"} })},
		{"birth date in the future", subject(func(v *forewarn.Subject) { v.BirthDate = forewarn.PartialDate{Year: Start.Year() + 1} })},
		{"empty name", subject(func(v *forewarn.Subject) { v.Names = []forewarn.Name{{Value: "  "}} })},
		{"no names", subject(func(v *forewarn.Subject) { v.Names = nil })},
		{"non-UTF-8 name", subject(func(v *forewarn.Subject) { v.Names[0].Value = "Mostefa\xff" })},
		{"10 MB name", subject(func(v *forewarn.Subject) { v.Names[0].Value = strings.Repeat("a", 10<<20) })},
		{"unknown watch status", subject(func(v *forewarn.Subject) { v.Watch = "maybe" })},
		{"update to an invalid subject", func() error {
			v := *s
			v.Nationalities = []string{"XX"}
			return e.Store.UpdateSubject(e.Ctx, analyst, &v)
		}},
		{"grading G7", claim(func(c *forewarn.Claim) { c.Grading = forewarn.Grading{Reliability: "G", Credibility: 7} })},
		{"credibility 0", claim(func(c *forewarn.Claim) { c.Grading.Credibility = 0 })},
		{"credibility 7", claim(func(c *forewarn.Claim) { c.Grading.Credibility = 7 })},
		{"travel to XX", claim(func(c *forewarn.Claim) { c.Value = "XX" })},
		{"claim valid from the future", claim(func(c *forewarn.Claim) { c.ValidFrom = forewarn.PartialDate{Year: Start.Year() + 1} })},
		{"claim without source", claim(func(c *forewarn.Claim) { c.Source = forewarn.Source{} })},
		{"self-association", func() error {
			return e.Store.CreateAssociation(e.Ctx, analyst, &forewarn.Association{FromID: s.ID, ToID: s.ID, Kind: forewarn.AssocAssociateOf, Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "A", Credibility: 1}})
		}},
		{"bad username", func() error {
			return e.Store.CreateUser(e.Ctx, analyst, &forewarn.User{Username: "Bad Name", Roles: []forewarn.Role{forewarn.RoleAnalyst}})
		}},
		{"unknown role", func() error {
			return e.Store.CreateUser(e.Ctx, analyst, &forewarn.User{Username: "someone", Roles: []forewarn.Role{"root"}})
		}},
		{"unnamed actor", func() error {
			return e.Store.CreateSubject(e.Ctx, forewarn.Actor{Kind: forewarn.ActorUser}, NewSubject("Valid Name"))
		}},
		{"nil subject", func() error { return e.Store.CreateSubject(e.Ctx, analyst, nil) }},
		{"nil claim", func() error { return e.Store.CreateClaim(e.Ctx, analyst, nil) }},
		{"stand-alone entry with a bad action", func() error {
			return e.Store.RecordAudit(e.Ctx, &forewarn.AuditEntry{Actor: analyst, Action: "Login!"})
		}},
		{"stand-alone entry with a bad digest", func() error {
			return e.Store.RecordAudit(e.Ctx, &forewarn.AuditEntry{Actor: analyst, Action: "auth.login", After: "xyz"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, checkpoints := e.AuditCount(), countCheckpoints(t, e)
			subjects := countSubjects(t, e)
			WantCode(t, tt.call(), forewarn.EINVALID)
			if n := e.AuditCount(); n != entries {
				t.Errorf("audit entries %d → %d", entries, n)
			}
			if n := countCheckpoints(t, e); n != checkpoints {
				t.Errorf("checkpoints %d → %d", checkpoints, n)
			}
			if n := countSubjects(t, e); n != subjects {
				t.Errorf("subjects %d → %d", subjects, n)
			}
		})
	}
	claims, err := e.Store.Claims(e.Ctx, s.ID)
	if err != nil || len(claims) != 0 {
		t.Errorf("Claims = %v, %v; want none", claims, err)
	}
	got, err := e.Store.Subject(e.Ctx, analyst, s.ID)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("subject changed by a refused update: %+v, %v", got, err)
	}
	e.MustVerify()
}

// countSubjects counts subjects without auditing: it reads the audit trail's record of
// creations, since every other way to count subjects is itself an audited read.
func countSubjects(t *testing.T, e *Env) int {
	t.Helper()
	n := 0
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error {
		if a.Action == "subject.create" {
			n++
		}
		return nil
	}); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	return n
}

func countCheckpoints(t *testing.T, e *Env) int {
	t.Helper()
	cps, err := e.Store.AuditCheckpoints(e.Ctx)
	if err != nil {
		t.Fatalf("AuditCheckpoints: %v", err)
	}
	return len(cps)
}

func testRecordAndFilterAudit(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	login := &forewarn.AuditEntry{Actor: forewarn.UserActor("liaison1"), Action: "auth.login", Detail: "from 10.0.0.7"}
	if err := e.Store.RecordAudit(e.Ctx, login); err != nil {
		t.Fatalf("RecordAudit: %v", err)
	}
	if login.Seq != 1 || !login.Time.Equal(Start) || login.PrevHash != forewarn.GenesisHash || login.Hash != login.ComputeHash() {
		t.Errorf("RecordAudit filled %+v", login)
	}
	e.Clock.Advance(time.Hour)
	s := e.CreateSubject("Ismaël Omar Mostefaï") // seq 2
	e.Clock.Advance(time.Hour)
	if _, err := e.Store.Subject(e.Ctx, forewarn.UserActor("oversight1"), s.ID); err != nil { // seq 3
		t.Fatalf("Subject: %v", err)
	}
	e.Clock.Advance(time.Hour)
	if err := e.Store.CreateClaim(e.Ctx, analyst, NewClaim(s.ID)); err != nil { // seq 4
		t.Fatalf("CreateClaim: %v", err)
	}
	denied := &forewarn.AuditEntry{Actor: forewarn.UserActor("liaison1"), Action: "subject_access.denied", ObjectType: "subject", ObjectID: s.ID}
	if err := e.Store.RecordAudit(e.Ctx, denied); err != nil { // seq 5
		t.Fatalf("RecordAudit: %v", err)
	}

	tests := []struct {
		name    string
		filter  forewarn.AuditFilter
		want    []int64
		wantErr string
	}{
		{"all", forewarn.AuditFilter{}, []int64{1, 2, 3, 4, 5}, ""},
		{"actor", forewarn.AuditFilter{ActorID: "liaison1"}, []int64{1, 5}, ""},
		{"exact action", forewarn.AuditFilter{Action: "subject.read"}, []int64{3}, ""},
		{"action prefix", forewarn.AuditFilter{Action: "subject."}, []int64{2, 3}, ""},
		{"action prefix with underscore", forewarn.AuditFilter{Action: "subject_access."}, []int64{5}, ""},
		{"object", forewarn.AuditFilter{ObjectType: "subject", ObjectID: s.ID}, []int64{2, 3, 5}, ""},
		{"after seq", forewarn.AuditFilter{AfterSeq: 3}, []int64{4, 5}, ""},
		{"since", forewarn.AuditFilter{Since: Start.Add(2 * time.Hour)}, []int64{3, 4, 5}, ""},
		{"until (exclusive)", forewarn.AuditFilter{Until: Start.Add(2 * time.Hour)}, []int64{1, 2}, ""},
		{"limit", forewarn.AuditFilter{Limit: 2, AfterSeq: 1}, []int64{2, 3}, ""},
		{"newest first", forewarn.AuditFilter{Newest: true, Limit: 2}, []int64{5, 4}, ""},
		{"newest first, before seq", forewarn.AuditFilter{Newest: true, BeforeSeq: 4, Limit: 2}, []int64{3, 2}, ""},
		{"newest first, filtered", forewarn.AuditFilter{Newest: true, ObjectType: "subject", ObjectID: s.ID}, []int64{5, 3, 2}, ""},
		{"negative before seq", forewarn.AuditFilter{BeforeSeq: -1}, nil, forewarn.EINVALID},
		{"negative limit", forewarn.AuditFilter{Limit: -1}, nil, forewarn.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := e.Store.AuditEntries(e.Ctx, tt.filter)
			if tt.wantErr != "" {
				WantCode(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("AuditEntries: %v", err)
			}
			var got []int64
			for _, a := range es {
				got = append(got, a.Seq)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AuditEntries(%+v) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}

	es, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{})
	if err != nil {
		t.Fatalf("AuditEntries: %v", err)
	}
	var scanned []*forewarn.AuditEntry
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error { scanned = append(scanned, a); return nil }); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	if !reflect.DeepEqual(scanned, es) || !reflect.DeepEqual(es[0], login) || !reflect.DeepEqual(es[4], denied) {
		t.Errorf("ScanAudit and AuditEntries disagree, or differ from what RecordAudit returned")
	}
	stop := fmt.Errorf("stop here")
	calls := 0
	if err := e.Store.ScanAudit(e.Ctx, func(*forewarn.AuditEntry) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("ScanAudit after fn's error = %v after %d calls; want fn's error after 1", err, calls)
	}
	if n := e.MustVerify(); n != 5 {
		t.Errorf("verified %d entries, want 5", n)
	}
}

func testCheckpoints(t *testing.T, open Opener) {
	e := NewEnv(t, open, 3)
	if c, err := e.Store.CheckpointAudit(e.Ctx); err != nil || c != nil {
		t.Errorf("CheckpointAudit on an empty chain = %+v, %v; want nil", c, err)
	}
	e.Init() // seq 1, 2
	for i := range 5 {
		e.Clock.Advance(time.Minute)
		e.CreateSubject(fmt.Sprintf("Subject %d", i)) // seq 3..7
	}
	cps, err := e.Store.AuditCheckpoints(e.Ctx)
	if err != nil {
		t.Fatalf("AuditCheckpoints: %v", err)
	}
	var seqs []int64
	for _, c := range cps {
		seqs = append(seqs, c.Seq)
		if c.Agency != Agency.Code {
			t.Errorf("checkpoint %d names agency %q, want %q", c.Seq, c.Agency, Agency.Code)
		}
	}
	if want := []int64{3, 6}; !reflect.DeepEqual(seqs, want) {
		t.Fatalf("checkpoints at %v, want %v", seqs, want)
	}
	es, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{AfterSeq: 5, Limit: 1})
	if err != nil {
		t.Fatalf("AuditEntries: %v", err)
	}
	if cps[1].Hash != es[0].Hash || !cps[1].Time.Equal(es[0].Time) {
		t.Errorf("checkpoint 6 = %+v; entry 6 = %+v", cps[1], es[0])
	}

	e.Clock.Advance(time.Minute)
	c, err := e.Store.CheckpointAudit(e.Ctx)
	if err != nil {
		t.Fatalf("CheckpointAudit: %v", err)
	}
	head := e.LastAudit()
	if c == nil || c.Seq != 7 || c.Hash != head.Hash || !c.Time.Equal(Start.Add(6*time.Minute)) {
		t.Errorf("CheckpointAudit = %+v; want one at the head, entry 7, at the clock's time", c)
	}
	again, err := e.Store.CheckpointAudit(e.Ctx)
	if err != nil || !reflect.DeepEqual(again, c) || countCheckpoints(t, e) != 3 {
		t.Errorf("a second CheckpointAudit = %+v, %v with %d checkpoints; want the same checkpoint, not a new one", again, err, countCheckpoints(t, e))
	}
	if n := e.MustVerify(); n != 7 {
		t.Errorf("verified %d entries, want 7", n)
	}

	cps, err = e.Store.AuditCheckpoints(e.Ctx)
	if err != nil {
		t.Fatalf("AuditCheckpoints: %v", err)
	}
	wrongKey := forewarn.NewAuditVerifier(NewSigner().PublicKey(), cps)
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error { wrongKey.Add(a); return nil }); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	if _, err := wrongKey.Finish(); err == nil {
		t.Error("checkpoints verify under another node's key")
	}
}

func testCheckpointsNeedSigner(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0) // no signer: an uninitialised node
	e.CreateSubject("Ismaël Omar Mostefaï")
	if n := countCheckpoints(t, e); n != 0 {
		t.Errorf("%d checkpoints signed without a key", n)
	}
	_, err := e.Store.CheckpointAudit(e.Ctx)
	WantCode(t, err, forewarn.EINVALID)
	e.MustVerify()
}

func testConcurrentWriters(t *testing.T, open Opener) {
	const writers, writes = 8, 50 // each write is a create and an audited read: two entries
	e := NewEnv(t, open, 50)
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes+1)
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := forewarn.UserActor(fmt.Sprintf("writer%d", w))
			for i := range writes {
				s := NewSubject(fmt.Sprintf("Writer %d subject %d", w, i))
				if err := e.Store.CreateSubject(e.Ctx, actor, s); err != nil {
					errs <- err
					return
				}
				if _, err := e.Store.Subject(e.Ctx, actor, s.ID); err != nil {
					errs <- err
					return
				}
				e.Clock.Advance(time.Millisecond)
			}
		}()
	}
	// An oversight tool verifying while the writers write must always see a valid chain.
	verified := make(chan int)
	go func() {
		runs := 0
		defer func() { verified <- runs }()
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := verifyQuietly(e); err != nil {
				errs <- fmt.Errorf("verifying during writes: %w", err)
				return
			}
			runs++
		}
	}()
	wg.Wait()
	close(done)
	if runs := <-verified; runs == 0 {
		t.Log("the writers finished before one verification did")
	}
	close(errs)
	for err := range errs {
		t.Errorf("concurrent writers: %v", err)
	}
	const entries = writers * writes * 2
	if n := e.MustVerify(); n != entries {
		t.Errorf("audit chain has %d entries, want %d", n, entries)
	}
	if n := countCheckpoints(t, e); n != entries/50 {
		t.Errorf("%d checkpoints, want %d", n, entries/50)
	}
	per := map[string]int{}
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error { per[a.Actor.ID+" "+a.Action]++; return nil }); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	for w := range writers {
		for _, action := range []string{"subject.create", "subject.read"} {
			if n := per[fmt.Sprintf("writer%d %s", w, action)]; n != writes {
				t.Errorf("writer%d has %d %s entries, want %d", w, n, action, writes)
			}
		}
	}
	_, total, err := e.Store.FindSubjects(e.Ctx, analyst, forewarn.SubjectFilter{Limit: 1})
	if err != nil || total != writers*writes {
		t.Errorf("FindSubjects total = %d, %v; want %d", total, err, writers*writes)
	}
}

// verifyQuietly verifies the chain without failing the test, for use off the test's
// goroutine. It reads the checkpoints before the entries, so every checkpoint it holds is
// covered by the entries it then reads.
func verifyQuietly(e *Env) error {
	cps, err := e.Store.AuditCheckpoints(e.Ctx)
	if err != nil {
		return err
	}
	v := forewarn.NewAuditVerifier(e.Signer.PublicKey(), cps)
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error { v.Add(a); return nil }); err != nil {
		return err
	}
	_, err = v.Finish()
	return err
}
