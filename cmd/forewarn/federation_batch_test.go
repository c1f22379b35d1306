package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/keyfile"
)

// postBatch posts body to a node's batch endpoint and returns the status and answer.
func postBatch(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url+federation.BatchPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// rejections counts a node's audited refusals of deliveries.
func rejections(t *testing.T, rt *liveNode) []*forewarn.AuditEntry {
	t.Helper()
	es, err := rt.node.Store.AuditEntries(context.Background(), forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestBatchMixed posts France's node one batch holding good envelopes among an unknown
// sender's, a bad signature, a replay outside the window and a repeated good one: each good
// one is stored and answered with its receipt, each bad one refused with the status and error
// the single endpoint gives it, and audited, and the repetition answered with the first
// receipt, all in the batch's order.
func TestBatchMixed(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	fr.msgs.ReplayWindow = 7 * 24 * time.Hour
	trKey := c.node(agencyTR.Code).node.Signer
	stranger := keyfile.FromSeed(bytes.Repeat([]byte{7}, 32))
	unknown := warning(c, forewarn.PriorityUrgent)
	unknown.From = "XX-EVIL"
	old := warning(c, forewarn.PriorityUrgent)
	old.Created = c.clock.Now().Add(-8 * 24 * time.Hour)
	old.ID = forewarn.NewID(old.Created)
	good1, good2 := mustSeal(t, warning(c, forewarn.PriorityUrgent), trKey), mustSeal(t, warning(c, forewarn.PriorityRoutine), trKey)
	items := []struct {
		name   string
		env    []byte
		status int // 0: a receipt
		reason string
	}{
		{"good", good1, 0, ""},
		{"unknown sender", mustSeal(t, unknown, stranger), http.StatusUnauthorized, "holds no public key"},
		{"bad signature", mustSeal(t, warning(c, forewarn.PriorityUrgent), stranger), http.StatusUnauthorized, "signature"},
		{"older than the window", mustSeal(t, old, trKey), http.StatusBadRequest, "replay"},
		{"another good one", good2, 0, ""},
		{"the first again", good1, 0, ""},
	}
	envs := make([][]byte, len(items))
	for i, it := range items {
		envs[i] = it.env
	}
	before := len(rejections(t, fr))
	status, answer := postBatch(t, fr.url, envelope.AppendBatch(nil, envs))
	if status != http.StatusOK {
		t.Fatalf("batch: %d %s", status, answer)
	}
	results, _, err := envelope.ParseBatchAnswer(answer, len(items))
	if err != nil {
		t.Fatalf("%v: %s", err, answer)
	}
	frKey := fr.node.Signer.PublicKey()
	for i, it := range items {
		r := results[i]
		if it.status == 0 {
			rc, err := envelope.OpenReceipt(r.Receipt, func(string) (ed25519.PublicKey, error) { return frKey, nil }, 0)
			if err != nil || !envelope.HasDigest(it.env, rc.Digest) {
				t.Errorf("%s: result %s is not the receipt for its envelope (%v)", it.name, r.Receipt, err)
			}
			continue
		}
		if r.Status != it.status || !strings.Contains(string(r.Error), it.reason) {
			t.Errorf("%s: status %d %s, want %d naming %q", it.name, r.Status, r.Error, it.status, it.reason)
		}
	}
	if !bytes.Equal(results[0].Receipt, results[5].Receipt) {
		t.Errorf("the first envelope again got another receipt:\n%s\n%s", results[0].Receipt, results[5].Receipt)
	}
	after := rejections(t, fr)
	if len(after) != before+3 {
		t.Fatalf("%d refusals audited, want 3", len(after)-before)
	}
	audited := ""
	for _, e := range after[before:] {
		audited += e.Detail + "\n"
	}
	for _, it := range items {
		if it.status != 0 && !strings.Contains(audited, it.reason) {
			t.Errorf("the refusal of %s (%q) is not audited: %s", it.name, it.reason, audited)
		}
	}
	if _, total, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Limit: 10}); err != nil || total != 2 {
		t.Fatalf("France holds %d messages (%v), want the 2 good ones", total, err)
	}
	// Each refusal is the single endpoint's, word for word.
	for i, it := range items {
		if it.status == 0 {
			continue
		}
		st, single := post(t, fr.url, it.env)
		var body struct{ Error json.RawMessage }
		json.Unmarshal([]byte(single), &body)
		if st != results[i].Status || !jsonEqual(body.Error, results[i].Error) {
			t.Errorf("%s: the batch answered %d %s, the single endpoint %d %s", it.name, results[i].Status, results[i].Error, st, body.Error)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

// TestBatchRefusedWhole posts batches that are refused as a whole: too many envelopes,
// too large a body, malformed, empty. Each is answered 400 naming what is wrong and
// audited, and nothing of it is stored.
func TestBatchRefusedWhole(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	trKey := c.node(agencyTR.Code).node.Signer
	var many [][]byte
	for range envelope.MaxBatchItems + 1 {
		env, err := envelope.Seal(warning(c, forewarn.PriorityRoutine), trKey)
		if err != nil {
			t.Fatal(err)
		}
		many = append(many, env)
	}
	big := envelope.AppendBatch(nil, [][]byte{many[0], bytes.Repeat([]byte(" "), app.DefaultMaxEnvelopeBytes)})
	cases := []struct {
		name, reason string
		body         []byte
	}{
		{"too many envelopes", "the limit is 64", envelope.AppendBatch(nil, many)},
		{"over the size limit", "bytes", big},
		{"malformed", "malformed batch JSON", []byte(`{"envelopes":[` + string(many[0]))},
		{"not an array", "not an array", []byte(`{"envelopes":{}}`)},
		{"empty", "no envelopes", []byte(`{"envelopes":[]}`)},
		{"envelopes twice", "twice", []byte(`{"envelopes":[` + string(many[0]) + `],"envelopes":[]}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rejections(t, fr))
			status, body := postBatch(t, fr.url, tc.body)
			if status != http.StatusBadRequest || !strings.Contains(string(body), tc.reason) {
				t.Fatalf("status %d %s, want 400 naming %q", status, body, tc.reason)
			}
			after := rejections(t, fr)
			if len(after) != before+1 || !strings.Contains(after[len(after)-1].Detail, tc.reason) {
				t.Fatalf("refusal not audited with its reason: %d entries before, %d after", before, len(after))
			}
		})
	}
	if _, total, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Limit: 10}); err != nil || total != 0 {
		t.Fatalf("refused batches stored %d messages (%v)", total, err)
	}
}

// batchRecorder is a Transport that checks, as each batch's answer arrives, that every
// message it receipts is already stored by the recipient (no receipt before the message
// is durable), and counts the batches and their envelopes.
type batchRecorder struct {
	next      app.BatchTransport
	recipient forewarn.Store
	t         *testing.T
	mu        sync.Mutex
	batches   []int
	singles   int
}

func (b *batchRecorder) Deliver(ctx context.Context, p *forewarn.Peer, env []byte) ([]byte, error) {
	b.mu.Lock()
	b.singles++
	b.mu.Unlock()
	return b.next.Deliver(ctx, p, env)
}

func (b *batchRecorder) DeliverBatch(ctx context.Context, p *forewarn.Peer, envs [][]byte) ([][]byte, []error, int, error) {
	rs, errs, inFlight, err := b.next.DeliverBatch(ctx, p, envs)
	if err == nil {
		for i, r := range rs {
			if errs[i] != nil {
				continue
			}
			var rc struct{ Receipt envelope.Receipt }
			json.Unmarshal(r, &rc)
			if _, serr := b.recipient.MessageFrom(ctx, agencyTR.Code, rc.Receipt.MessageID); serr != nil {
				b.t.Errorf("receipt for %s answered before the recipient stored it: %v", rc.Receipt.MessageID, serr)
			}
		}
	}
	b.mu.Lock()
	b.batches = append(b.batches, len(envs))
	b.mu.Unlock()
	return rs, errs, inFlight, err
}

// sendWarnings queues n warnings from Turkey to France.
func sendWarnings(t *testing.T, tr *liveNode, n int) {
	t.Helper()
	for i := range n {
		_, err := tr.msgs.Send(context.Background(), forewarn.UserActor("liaison"), &forewarn.Message{
			Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
			Notification: &forewarn.Notification{Summary: fmt.Sprintf("batch %d", i), Priority: forewarn.PriorityRoutine,
				Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// receipted counts Turkey's deliveries to France that hold a signed receipt, and those
// still open.
func receipted(t *testing.T, tr *liveNode) (withReceipt, open int) {
	t.Helper()
	list, _, err := tr.node.Store.Messages(context.Background(), forewarn.MessageFilter{Direction: forewarn.DirectionOut, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, sm := range list {
		for _, d := range sm.Deliveries {
			if d.Delivered() && len(d.Receipt) > 0 {
				withReceipt++
			} else {
				open++
			}
		}
	}
	return withReceipt, open
}

// TestBatchDelivery has Turkey's delivery worker send 100 warnings to France in batches:
// every one is stored once by France, every receipt is recorded by Turkey, none was answered
// before its message was stored, and they went in batches of more than one.
func TestBatchDelivery(t *testing.T) {
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	testBatchDelivery(t, c.node(agencyTR.Code), c.node(agencyFR.Code))
}

// TestBatchDeliveryPostgres is TestBatchDelivery with both nodes storing in PostgreSQL,
// whose group commit stores a batch's arrivals.
func TestBatchDeliveryPostgres(t *testing.T) {
	tr, fr := benchPair(t, testPostgres(t))
	testBatchDelivery(t, tr, fr)
}

func testBatchDelivery(t *testing.T, tr, fr *liveNode) {
	ctx := context.Background()
	rec := &batchRecorder{next: tr.msgs.Transport.(app.BatchTransport), recipient: fr.node.Store, t: t}
	tr.msgs.Transport = rec
	const n = 100
	sendWarnings(t, tr, n)
	// Sixteen requests at once may carry 16 deliveries in all: two full batches.
	delivered, err := tr.msgs.DeliverDue(ctx, 16)
	if err != nil || delivered != 16 || len(rec.batches) != 2 {
		t.Fatalf("one round delivered %d (%v) in %d batches, want 16 in 2", delivered, err, len(rec.batches))
	}
	for round := 0; delivered < n && round < n; round++ {
		k, err := tr.msgs.DeliverDue(ctx, 16)
		if err != nil {
			t.Fatal(err)
		}
		delivered += k
	}
	if with, open := receipted(t, tr); delivered != n || with != n || open != 0 {
		t.Fatalf("delivered %d; Turkey holds %d receipts and %d open deliveries; want %d, %d, 0", delivered, with, open, n, n)
	}
	if _, total, _ := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Limit: 1}); total != n {
		t.Fatalf("France holds %d messages, want %d", total, n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	sum := 0
	for _, k := range rec.batches {
		sum += k
		if k < 2 || k > app.DefaultBatchSize {
			t.Errorf("a batch of %d, want 2 to %d", k, app.DefaultBatchSize)
		}
	}
	if sum+rec.singles != n {
		t.Errorf("%d envelopes in %d batches and %d alone, want %d in all", sum, len(rec.batches), rec.singles, n)
	}
}

// TestBatchFallback delivers to a France that refuses every batch as a whole, with 404 as
// a node older than batches does, or as too large: every warning still arrives, each alone,
// and the next round sends no batch at all.
func TestBatchFallback(t *testing.T) {
	// 404: a node older than batches. 413 and 400: one whose body limit is below the
	// batch's (Forewarn's own answers 400 naming the limit): each envelope would pass alone,
	// and a batch refused as a whole, retried as a batch, would never be delivered.
	for _, status := range []int{http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusBadRequest} {
		t.Run(strconv.Itoa(status), func(t *testing.T) { testBatchFallback(t, status) })
	}
}

func testBatchFallback(t *testing.T, status int) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	target, _ := url.Parse(fr.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var batchPosts, singlePosts atomic.Int64
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case federation.BatchPath:
			batchPosts.Add(1)
			http.Error(w, `{"error":{"code":"invalid","message":"refused"}}`, status)
			return
		case federation.MessagesPath:
			singlePosts.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	defer old.Close()
	peer, err := tr.node.Store.Peer(ctx, agencyFR.Code)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.node.Store.RemovePeer(ctx, forewarn.SystemActor("test"), agencyFR.Code); err != nil {
		t.Fatal(err)
	}
	peer.BaseURL = old.URL
	if err := tr.node.Store.AddPeer(ctx, forewarn.SystemActor("test"), peer); err != nil {
		t.Fatal(err)
	}
	deliver := func(n int) {
		t.Helper()
		got := 0
		for round := 0; got < n && round < n; round++ { // two at a time once alone
			k, err := tr.msgs.DeliverDue(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			got += k
		}
		if got != n {
			t.Fatalf("delivered %d of %d", got, n)
		}
	}
	sendWarnings(t, tr, 40)
	deliver(40)
	if b := batchPosts.Load(); b < 1 || b > 2 {
		t.Fatalf("%d batches posted to a node without batches; want the first round's (1 or 2)", b)
	}
	if s := singlePosts.Load(); s != 40 {
		t.Fatalf("%d envelopes posted alone, want 40", s)
	}
	first := batchPosts.Load()
	sendWarnings(t, tr, 20)
	deliver(20)
	if b := batchPosts.Load(); b != first {
		t.Fatalf("a batch was tried again (%d, then %d) right after the peer said it takes none", first, b)
	}
	if with, open := receipted(t, tr); with != 60 || open != 0 {
		t.Fatalf("Turkey holds %d receipts and %d open deliveries, want 60 and 0", with, open)
	}
	if _, total, _ := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Limit: 1}); total != 60 {
		t.Fatalf("France holds %d messages, want 60", total)
	}
}

// TestRecipientSaysWhatItTakesInFlight: a node on PostgreSQL, which commits arrivals in
// pipelined groups, says in its answers to batches that it gains from 64 deliveries in
// flight, and its peer keeps that many from the first answer; one on SQLite says nothing,
// and its peer starts from the floor and adapts.
func TestRecipientSaysWhatItTakesInFlight(t *testing.T) {
	dsn := testPostgres(t)
	ctx := context.Background()
	for _, tc := range []struct {
		store, dsn string
		want       int
	}{{"SQLite", "", app.DefaultPeerParallel}, {"PostgreSQL", dsn, app.GroupedTakesInFlight}} {
		tr, _ := benchPair(t, tc.dsn)
		for i := range 24 {
			if _, err := tr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
				Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
				Notification: &forewarn.Notification{Summary: fmt.Sprintf("in flight %d", i), Priority: forewarn.PriorityRoutine,
					Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}},
			}); err != nil {
				t.Fatal(err)
			}
		}
		for delivered := 0; delivered < 24; {
			n, err := tr.msgs.DeliverDue(ctx, 8)
			if err != nil || n == 0 {
				t.Fatalf("%s: delivered %d of 24, then %d (%v)", tc.store, delivered, n, err)
			}
			delivered += n
		}
		if got := tr.msgs.InFlightLimits()[agencyFR.Code]; got != tc.want {
			t.Errorf("a sender to a node on %s keeps %d in flight, want %d", tc.store, got, tc.want)
		}
	}
}
