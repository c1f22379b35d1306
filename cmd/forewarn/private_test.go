package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/match"
)

// wiretap is a TCP proxy on loopback that keeps every byte that crosses it, both ways.
type wiretap struct {
	ln  net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

func newWiretap(t *testing.T, target string) *wiretap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wiretap{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go w.relay(c, target)
		}
	}()
	return w
}

func (w *wiretap) relay(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst io.Writer, src io.Reader) {
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				w.mu.Lock()
				w.buf.Write(buf[:n])
				w.mu.Unlock()
				if _, err := dst.Write(buf[:n]); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
}

func (w *wiretap) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// partForms are the forms of a name's parts someone might hash: as written, lower and
// upper case, without diacritics, and the matcher's normalised, spelling, phonetic and
// skeleton keys.
func partForms(names ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, n := range names {
		add(n)
		add(strings.ToLower(n))
		add(strings.ToUpper(n))
		for _, w := range strings.Fields(n) {
			add(w)
			add(strings.ToLower(w))
			add(strings.ToUpper(w))
		}
		for _, t := range match.Normalize(n) {
			add(t)
			add(strings.ToUpper(t))
			add(match.SpellingKey(t))
			add(match.PhoneticKey(t))
			add(match.Skeleton(t))
		}
		add(strings.Join(match.Normalize(n), " "))
	}
	return out
}

// digests are the unsalted hashes of s, raw.
func digests(s string) [][]byte {
	a, b, c, d := sha256.Sum256([]byte(s)), sha1.Sum([]byte(s)), md5.Sum([]byte(s)), sha512.Sum512([]byte(s))
	return [][]byte{a[:], b[:], c[:], d[:]}
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9_\-+/]{24,}`)

// notText is what may spell a name part by chance and is not text: a key fingerprint
// (16 hex digits) and a chunk size of HTTP's chunked encoding (hex on a line of its own;
// a chunk of 2,749 bytes is "abd", the start of Abdelhamid). No name is written in hex
// digits alone, so blanking them hides no leak.
var notText = regexp.MustCompile(`\b[0-9a-fA-F]{16,}\b|\r\n[0-9a-f]{1,8}\r\n`)

// findLeaks searches wire bytes for the names, their parts in every form, and any
// unsalted hash of them: in hex (either case), in base64 (standard or URL, padded or
// not), and raw inside every base64 run on the wire once decoded.
//
// Names are searched outside the base64 runs (random bytes spell any three letters
// somewhere in megabytes of base64); the runs are searched for hashes, decoded.
func findLeaks(wire []byte, names ...string) []string {
	lower := bytes.ToLower(wire)
	text := bytes.ToLower(notText.ReplaceAll(base64Run.ReplaceAll(wire, []byte(" ")), []byte(" ")))
	var decoded [][]byte
	for _, run := range base64Run.FindAll(wire, -1) {
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.StdEncoding} {
			if b, err := enc.DecodeString(string(run)); err == nil {
				decoded = append(decoded, b)
			}
		}
	}
	var leaks []string
	for _, f := range partForms(names...) {
		if len(f) >= 3 && bytes.Contains(text, bytes.ToLower([]byte(f))) {
			leaks = append(leaks, "the text "+f)
		}
		for _, d := range digests(f) {
			for _, enc := range []string{hex.EncodeToString(d), base64.StdEncoding.EncodeToString(d), base64.RawURLEncoding.EncodeToString(d)} {
				if bytes.Contains(wire, []byte(enc)) || bytes.Contains(lower, []byte(strings.ToLower(enc))) && len(enc) == 2*len(d) {
					leaks = append(leaks, "a hash of "+f)
				}
			}
			for _, b := range decoded {
				if bytes.Contains(b, d[:16]) {
					leaks = append(leaks, "a raw hash of "+f)
				}
			}
		}
	}
	return leaks
}

// TestPrivateMatchMostefai is the case of issue 17 on two real nodes over HTTP on
// loopback: France asks Turkey privately about "Ismaël Omar Mostefaï, 1985"; Turkey holds
// "Omar Ismail Mostefai, 1985"; the answer is a strong hit, the same name born 1991 and
// an unrelated man are not. Both sides are alerted on the hit, and every byte that
// crossed the wire is searched for the names and any unsalted hash of their parts.
func TestPrivateMatchMostefai(t *testing.T) {
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	held := &forewarn.Subject{Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	other := &forewarn.Subject{Names: []forewarn.Name{{Value: "Abdelhamid Abaaoud", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1987}}
	for _, s := range []*forewarn.Subject{held, other} {
		if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), s); err != nil {
			t.Fatal(err)
		}
	}

	// France reaches Turkey through the tap.
	trPeer, err := fr.node.Store.Peer(ctx, agencyTR.Code)
	if err != nil {
		t.Fatal(err)
	}
	tap := newWiretap(t, strings.TrimPrefix(tr.url, "http://"))
	if err := fr.node.Store.RemovePeer(ctx, forewarn.SystemActor("test"), agencyTR.Code); err != nil {
		t.Fatal(err)
	}
	trPeer.BaseURL = "http://" + tap.ln.Addr().String()
	if err := fr.node.Store.AddPeer(ctx, forewarn.SystemActor("test"), trPeer); err != nil {
		t.Fatal(err)
	}

	asked := []app.PrivatePerson{
		{Label: "Ismaël Omar Mostefaï", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985-11-21", Nationalities: []string{"FR"}}},
		{Label: "decoy", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1991"}},
		{Label: "someone else", Person: match.Person{Names: []string{"Samy Amimour"}, BirthDate: "1987"}},
	}
	q, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, asked)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{forewarn.PrivateBandStrong, forewarn.PrivateBandNone, forewarn.PrivateBandNone}
	for i, r := range q.Results {
		if r.Band != want[i] {
			t.Errorf("%s: band %s, want %s", asked[i].Label, r.Band, want[i])
		}
	}

	frAlerts, err := fr.node.Store.UserAlerts(ctx, string(forewarn.RoleLiaison), 0)
	if err != nil || len(frAlerts) != 1 || !strings.HasPrefix(frAlerts[0].Text, "TR-MIT: likely holds (strong)") {
		t.Errorf("France's alerts = %+v, %v; want one \"TR-MIT: likely holds (strong)\"", frAlerts, err)
	}
	trAlerts, err := tr.node.Store.Alerts(ctx, forewarn.RoleAnalyst, 0)
	found := false
	for _, a := range trAlerts {
		if a.Kind == "private_match" && a.SubjectID == held.ID && strings.HasPrefix(a.Text, "FR-DGSI asked privately about a person matching your subject Omar Ismail Mostefai") {
			found = true
		}
		if a.Kind == "private_match" && a.SubjectID == other.ID {
			t.Errorf("Turkey was alerted about %s, which nobody asked about", other.PrimaryName())
		}
	}
	if err != nil || !found {
		t.Errorf("Turkey's alerts = %+v, %v; want one on subject %s", trAlerts, err, held.ID)
	}
	in, err := tr.node.Store.PrivateQueries(ctx, forewarn.DirectionIn, 0)
	if err != nil || len(in) != 1 || in[0].Peer != agencyFR.Code || in[0].Persons != 3 || len(in[0].Results) != 1 || in[0].Results[0].SubjectID != held.ID {
		t.Errorf("Turkey's record of the query = %+v, %v", in, err)
	}

	wire := tap.bytes()
	if len(wire) < 3*64*32 {
		t.Fatalf("the tap saw %d bytes; the query alone is larger", len(wire))
	}
	if leaks := findLeaks(wire, "Ismaël Omar Mostefaï", "Omar Ismail Mostefai", "Samy Amimour", "Abdelhamid Abaaoud"); len(leaks) > 0 {
		t.Errorf("the wire carries %d leaks: %v", len(leaks), leaks[:min(len(leaks), 10)])
	}
	// The same from the command line, through France's API.
	secret, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), "liaison", forewarn.RoleLiaison, "private test")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FOREWARN_TOKEN": secret}
	out, _, err := runCLI(t, env, "ask-private", "--node", fr.url, "--to", agencyTR.Code, "--person", "Ismaël Omar Mostefaï; born=1985; nationality=FR", "--person", "Ismaël Omar Mostefaï; born=1991")
	if err != nil || !strings.Contains(out, "TR-MIT: likely holds (strong) — Ismaël Omar Mostefaï") || !strings.Contains(out, "TR-MIT: does not hold a likely match") {
		t.Errorf("forewarn ask-private = %q, %v", out, err)
	}
	if _, _, err := runCLI(t, env, "ask-private", "--node", fr.url, "--person", "X Y"); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("ask-private without --to = %v, want an error naming --to", err)
	}

	// The search itself can find what it looks for: a plain request naming the man leaks.
	if leaks := findLeaks([]byte(`{"name":"Omar Ismail Mostefai","h":"`+hex.EncodeToString(digests("mostefai")[0])+`"}`), "Omar Ismail Mostefai"); len(leaks) < 2 {
		t.Errorf("the leak search missed a plain name and its hash: %v", leaks)
	}
	// ... and does not take chance hex for a name: a key fingerprint and a chunk size that
	// spell "abd" (once 1 run in 9 failed on them), while a name among them is still found.
	chance := []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nabd\r\n{\"key_id\":\"ed25519:0123456789abdcef\"}\r\n0\r\n\r\n")
	if leaks := findLeaks(chance, "Abdelhamid Abaaoud"); len(leaks) != 0 {
		t.Errorf("the leak search took a chunk size or fingerprint for a name: %v", leaks)
	}
	if leaks := findLeaks(append(chance, `{"note":"abdelhamid"}`...), "Abdelhamid Abaaoud"); len(leaks) == 0 {
		t.Error("the leak search missed a name beside a chunk size and a fingerprint")
	}
}

// recordingTransport passes private_match documents on and keeps them; with replay set
// it answers every later query with the first answer it saw, as a hostile peer would.
type recordingTransport struct {
	app.Transport
	mu      sync.Mutex
	docs    [][]byte
	answers [][]byte
	replay  bool
	// stripSet, when set, re-signs every answer with it, without the holder's set.
	stripSet forewarn.Signer
	// tamper, when set, changes every answer or set document that carries changes to a
	// kept set, which resign then signs again.
	tamper func(*envelope.PrivateMatch)
	resign forewarn.Signer
}

func (r *recordingTransport) PrivateMatch(ctx context.Context, peer *forewarn.Peer, doc []byte) ([]byte, error) {
	r.mu.Lock()
	replay := r.replay && len(r.answers) > 0
	r.mu.Unlock()
	if replay {
		return r.answers[0], nil
	}
	ans, err := r.Transport.(app.PrivateTransport).PrivateMatch(ctx, peer, doc)
	if err == nil && r.stripSet != nil {
		var d struct {
			PrivateMatch *envelope.PrivateMatch `json:"private_match"`
		}
		if json.Unmarshal(ans, &d) == nil && d.PrivateMatch != nil && d.PrivateMatch.Stage == envelope.PrivateAnswerStage {
			d.PrivateMatch.Set = nil
			ans, err = envelope.SealPrivateMatch(d.PrivateMatch, r.stripSet)
		}
	}
	if err == nil && r.tamper != nil {
		var d struct {
			PrivateMatch *envelope.PrivateMatch `json:"private_match"`
		}
		if json.Unmarshal(ans, &d) == nil && d.PrivateMatch != nil && d.PrivateMatch.SetFrom != "" {
			r.tamper(d.PrivateMatch)
			ans, err = envelope.SealPrivateMatch(d.PrivateMatch, r.resign)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.docs = append(r.docs, doc)
	if err == nil {
		r.answers = append(r.answers, ans)
	}
	return ans, err
}

func auditActions(t *testing.T, store forewarn.Store, action string) []*forewarn.AuditEntry {
	t.Helper()
	es, err := store.AuditEntries(context.Background(), forewarn.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestPrivateMatchAbuse: a replayed query, elements reused by another peer, a replayed
// answer and a query over the peer's daily limit are all refused and audited (issue 17).
func TestPrivateMatchAbuse(t *testing.T) {
	ctx := context.Background()
	be := forewarn.Agency{Code: "BE-VSSE", Name: "Veiligheid van de Staat", Country: "BE"}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR, be}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr, bel := c.node(agencyTR.Code), c.node(agencyFR.Code), c.node(be.Code)
	if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), &forewarn.Subject{Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}}); err != nil {
		t.Fatal(err)
	}
	rec := &recordingTransport{Transport: fr.msgs.Transport}
	fr.msgs.Transport = rec
	mostefai := []app.PrivatePerson{{Label: "M", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985"}}}
	if q, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, mostefai); err != nil || q.Results[0].Band != forewarn.PrivateBandStrong {
		t.Fatalf("the honest query: %+v, %v", q, err)
	}
	query := rec.docs[0]
	trPeerOfFR, err := fr.node.Store.Peer(ctx, agencyTR.Code)
	if err != nil {
		t.Fatal(err)
	}
	refusals := func() int { return len(auditActions(t, tr.node.Store, "private_match.refuse")) }

	// The same signed query again: a replay.
	before := refusals()
	if _, err := rec.Transport.(app.PrivateTransport).PrivateMatch(ctx, trPeerOfFR, query); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("a replayed query = %v, want a 409 refusal", err)
	}
	if refusals() != before+1 {
		t.Errorf("the replayed query was not audited as refused")
	}

	// Belgium sends France's elements as its own query: the same elements, refused.
	var doc struct {
		PrivateMatch map[string]any `json:"private_match"`
	}
	if err := jsonUnmarshal(query, &doc); err != nil {
		t.Fatal(err)
	}
	stolen := copyPrivateQuery(t, doc.PrivateMatch, be.Code, c.clock.Now())
	sealed, err := sealPrivate(stolen, bel)
	if err != nil {
		t.Fatal(err)
	}
	trPeerOfBE, err := bel.node.Store.Peer(ctx, agencyTR.Code)
	if err != nil {
		t.Fatal(err)
	}
	before = refusals()
	if _, err := bel.msgs.Transport.(app.PrivateTransport).PrivateMatch(ctx, trPeerOfBE, sealed); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("another query's elements = %v, want a 409 refusal", err)
	}
	if refusals() != before+1 {
		t.Errorf("the reused elements were not audited as refused")
	}

	// Turkey (or anyone on the path) answers a new query with the old answer.
	rec.replay = true
	frRefusals := len(auditActions(t, fr.node.Store, "private_match.refuse"))
	if _, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, mostefai); err == nil || !strings.Contains(forewarn.ErrorMessage(err), "replayed or foreign answer") {
		t.Errorf("a replayed answer = %v, want it refused as replayed", err)
	}
	if n := len(auditActions(t, fr.node.Store, "private_match.refuse")); n != frRefusals+1 {
		t.Errorf("France audited %d refusals of the replayed answer, want 1", n-frRefusals)
	}
	rec.replay = false

	// Over the daily limit: Turkey lets France ask about 2 persons a day; it asked about 1.
	if err := tr.node.Store.SetPrivateLimit(ctx, forewarn.UserActor("admin"), agencyFR.Code, 2); err != nil {
		t.Fatal(err)
	}
	two := append(append([]app.PrivatePerson{}, mostefai...), mostefai...)
	before = refusals()
	if _, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, two); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a query over the daily limit = %v, want a 403 refusal", err)
	}
	es := auditActions(t, tr.node.Store, "private_match.refuse")
	if len(es) != before+1 || es[len(es)-1].Actor.ID != agencyFR.Code || !strings.Contains(es[len(es)-1].Detail, "2 persons a day") {
		t.Errorf("the over-limit query was not audited as FR-DGSI's refusal: %+v", es[len(es)-1])
	}
	if _, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, mostefai); err != nil {
		t.Errorf("a query within the limit after the refusal: %v", err)
	}
	// Oversight sees both: the queries answered (a disclosure to FR-DGSI) and the refusals.
	rep, err := tr.node.OversightReport(ctx, actor(forewarn.RoleOversight), c.clock.Now().Add(-24*time.Hour), c.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	answered, refused := 0, 0
	for _, ev := range rep.Disclosures {
		if ev.Action == "private_match.answer" && ev.Peer == agencyFR.Code {
			answered++
		}
	}
	for _, ev := range rep.Refusals {
		if ev.Action == "private_match.refuse" {
			refused++
		}
	}
	if answered != 2 || refused < 3 {
		t.Errorf("the oversight report lists %d private queries answered for FR-DGSI (want 2) and %d refused (want 3 or more)", answered, refused)
	}
	use, err := tr.node.Store.PrivateUse(ctx, c.clock.Now().Truncate(24*time.Hour))
	if err != nil || len(use) == 0 || use[0].Peer != agencyFR.Code || use[0].Queries != 2 || use[0].Persons != 2 {
		t.Errorf("Turkey's view of how often France asks = %+v, %v", use, err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// copyPrivateQuery is another agency's query carrying the elements of q.
func copyPrivateQuery(t *testing.T, q map[string]any, from string, now time.Time) *envelope.PrivateMatch {
	t.Helper()
	return &envelope.PrivateMatch{Stage: envelope.PrivateQueryStage, QueryID: forewarn.NewID(now), From: from, To: q["to"].(string), Time: now,
		Persons: int(q["persons"].(float64)), Digest: q["digest"].(string), Elements: chunks(q["elements"].([]any))}
}

func sealPrivate(p *envelope.PrivateMatch, n *liveNode) ([]byte, error) {
	return envelope.SealPrivateMatch(p, n.node.Signer)
}

func chunks(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.(string)
	}
	return out
}

// answerCarries opens the private_match answers and set documents a recordingTransport
// saw from the from-th reply on and says, for each, what it carried of the holder's set —
// "set", "changes" or "" (neither: the asker keeps it) — and the version it named.
func answerCarries(t *testing.T, rec *recordingTransport, from int) (carried []string, versions []string) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, a := range rec.answers[from:] {
		var doc struct {
			PrivateMatch *envelope.PrivateMatch `json:"private_match"`
		}
		if err := jsonUnmarshal(a, &doc); err != nil {
			t.Fatalf("an answer that does not decode: %v", err)
		}
		if doc.PrivateMatch == nil || doc.PrivateMatch.Stage != envelope.PrivateAnswerStage && doc.PrivateMatch.Stage != envelope.PrivateSetStage {
			continue // the holder's receipt of a report
		}
		switch {
		case len(doc.PrivateMatch.Set) > 0:
			carried = append(carried, "set")
		case doc.PrivateMatch.SetFrom != "":
			carried = append(carried, "changes")
		default:
			carried = append(carried, "")
		}
		versions = append(versions, doc.PrivateMatch.SetDigest)
	}
	return carried, versions
}

// TestPrivateMatchKeepsSet: the asker keeps the holder's set for the day, so a second
// query's answer leaves it out; the holder sends the changes when its holdings change, and
// the set again when its day's secret does; a second server of the asking node (the same store, a fresh memory)
// uses the kept set; and an answer that leaves out a set the asker does not keep is
// refused (issue 17, docs/private-match.md).
func TestPrivateMatchKeepsSet(t *testing.T) {
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	create := func(name string, year int) {
		t.Helper()
		if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), &forewarn.Subject{Names: []forewarn.Name{{Value: name, Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: year}}); err != nil {
			t.Fatal(err)
		}
	}
	create("Omar Ismail Mostefai", 1985)
	rec := &recordingTransport{Transport: fr.msgs.Transport}
	fr.msgs.Transport = rec
	mostefai := []app.PrivatePerson{{Label: "M", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985"}}}
	abaaoud := []app.PrivatePerson{{Label: "A", Person: match.Person{Names: []string{"Abdelhamid Abaaoud"}, BirthDate: "1987"}}}
	ask := func(ms *app.Messages, persons []app.PrivatePerson, want string) {
		t.Helper()
		q, err := ms.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, persons)
		if err != nil {
			t.Fatal(err)
		}
		if q.Results[0].Band != want {
			t.Errorf("%s: band %s, want %s", persons[0].Label, q.Results[0].Band, want)
		}
	}
	ask(fr.msgs, mostefai, forewarn.PrivateBandStrong)
	ask(fr.msgs, mostefai, forewarn.PrivateBandStrong)
	ask(fr.msgs, abaaoud, forewarn.PrivateBandNone)
	carried, versions := answerCarries(t, rec, 0)
	if !slices.Equal(carried, []string{"set", "", ""}) || versions[0] == "" || versions[1] != versions[0] || versions[2] != versions[0] {
		t.Fatalf("answers carried the set %v, versions %.8v; want only the first to carry it, all one version", carried, versions)
	}
	if ks, err := fr.node.Store.PrivatePeerSet(ctx, agencyTR.Code); err != nil || ks.Digest != versions[0] || ks.Epoch != "2015-06-05" || len(ks.Set) == 0 {
		t.Fatalf("the kept set = %+v, %v", ks, err)
	}

	// Turkey's holdings change: the next answer carries the changes, which find the new man.
	create("Abdelhamid Abaaoud", 1987)
	n := len(rec.answers)
	ask(fr.msgs, abaaoud, forewarn.PrivateBandStrong)
	ask(fr.msgs, abaaoud, forewarn.PrivateBandStrong)
	carried, versions2 := answerCarries(t, rec, n)
	if !slices.Equal(carried, []string{"changes", ""}) || versions2[0] == versions[0] || versions2[1] != versions2[0] {
		t.Fatalf("after a change of holdings, answers carried the set %v, versions %.8v", carried, versions2)
	}

	// A second server of France (the same store, its own memory) uses the kept set.
	second := app.NewMessages(fr.node, rec)
	n = len(rec.answers)
	ask(second, mostefai, forewarn.PrivateBandStrong)
	if carried, _ := answerCarries(t, rec, n); !slices.Equal(carried, []string{""}) {
		t.Fatalf("the second server's answer carried the set %v; want it kept from the store", carried)
	}

	// The next day Turkey's secret is another: the set comes again.
	c.clock.Advance(24 * time.Hour)
	n = len(rec.answers)
	ask(fr.msgs, mostefai, forewarn.PrivateBandStrong)
	carried, versions3 := answerCarries(t, rec, n)
	if !slices.Equal(carried, []string{"set"}) || versions3[0] == versions2[0] {
		t.Fatalf("the next day's answer carried the set %v, version %.8v (yesterday's %.8v)", carried, versions3, versions2)
	}
	if kept := auditActions(t, fr.node.Store, "private_match.set"); len(kept) != 3 {
		t.Errorf("France audited keeping %d sets, want 3 (first, after the change, next day)", len(kept))
	}

	// An answer that leaves out a set France does not keep is refused: the day after,
	// the answer (re-signed by Turkey's key) names the new day's set and leaves it out.
	c.clock.Advance(24 * time.Hour)
	refusals := len(auditActions(t, fr.node.Store, "private_match.refuse"))
	rec.mu.Lock()
	rec.stripSet = tr.node.Signer
	rec.mu.Unlock()
	if _, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, mostefai); err == nil || !strings.Contains(forewarn.ErrorMessage(err), "does not keep") {
		t.Errorf("an answer without a set France keeps = %v, want it refused", err)
	}
	if got := len(auditActions(t, fr.node.Store, "private_match.refuse")); got != refusals+1 {
		t.Errorf("France audited %d refusals, want 1", got-refusals)
	}
}
