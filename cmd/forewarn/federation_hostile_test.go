package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/keyfile"
)

// hostileBody is JSON that claims to come from sender and is built to be expensive to
// parse: n bytes of small nested objects inside the message.
func hostileBody(sender string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"v":1,"message":{"from":%q,"junk":[`, sender)
	for i := 0; b.Len() < n-40; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"a%d":[1,{"b":"x"}]}`, i)
	}
	b.WriteString(`]},"signatures":[{"alg":"ed25519","key_id":"` + sender + `","sig":"AAAA"}]}`)
	return b.Bytes()
}

// TestFederationRefusesCheaply: the federation endpoint holds to docs/envelope.md's 1 MiB,
// refuses a body naming no pinned peer before parsing it, bounds the JSON it does parse,
// and answers 503 (not a pile-up) when every reading slot is taken. Each refusal names its
// reason and is audited.
func TestFederationRefusesCheaply(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	tr := agencyTR.Code

	deep := `{"v":1,"message":{"from":"` + tr + `","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `},"signatures":[]}`
	long := `{"v":1,"message":{"from":"` + tr + `","x":"` + strings.Repeat("a", 200<<10) + `"},"signatures":[]}`
	cases := []struct {
		name   string
		body   []byte
		status int
		reason string
	}{
		{"over the documented 1 MiB", hostileBody(tr, 2<<20), http.StatusBadRequest, "the limit is 1048576"},
		// Malformed after the sender: refused as a stranger, so it was never parsed.
		{"a stranger's body is not parsed", []byte(`{"v":1,"message":{"from":"XX-EVIL","junk":[1,2,`), http.StatusUnauthorized, "no public key for that agency"},
		{"no sender named", []byte(`{"v":1,"message":{"junk":[]}}`), http.StatusBadRequest, "names no sender"},
		{"nested too deeply", []byte(deep), http.StatusBadRequest, "deeper than 32"},
		{"a string too long", []byte(long), http.StatusBadRequest, "the limit is 131072"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
			status, body := post(t, fr.url, tc.body)
			if status != tc.status || !strings.Contains(body, tc.reason) {
				t.Fatalf("status %d %s, want %d naming %q", status, body, tc.status, tc.reason)
			}
			after, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
			if len(after) != len(before)+1 || !strings.Contains(after[len(after)-1].Detail, tc.reason) {
				t.Fatalf("refusal not audited with its reason: %d entries before, %d after", len(before), len(after))
			}
		})
	}

}

// TestFederationReadingSlots holds every reading slot of the federation endpoint with a
// body that never finishes, and expects a further delivery to be answered 503 at once,
// even one whose body is still arriving, and a good one to get through after the slots
// are released.
//
// It used to fail under load, and every time with holders on fresh connections. A
// holder's first bytes being written does not mean the node has given it a slot yet: the
// first knock, or the other node's own delivery, could take a slot first, and the holder
// left over was answered 503. That answer did not come at once: net/http reads up to
// 256 KiB of an unread body before it answers, so a refused body still arriving held it
// back until the read timeout (30 s). The holder never learnt it had no slot, one slot
// stayed free, and every knock took it. The node now answers such refusals at once and
// closes the connection (leaveBodyUnread); the test replaces a holder that is answered,
// so FederationReaders bodies are being read when a knock is refused.
func TestFederationReadingSlots(t *testing.T) {
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	tr := agencyTR.Code
	type holder struct {
		pw   *io.PipeWriter
		done chan int // the status it was answered with, or 0 on an error
	}
	var wg sync.WaitGroup
	hold := func() *holder {
		pr, pw := io.Pipe()
		h := &holder{pw: pw, done: make(chan int, 1)}
		wg.Add(2)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, fr.url+federation.MessagesPath, pr)
			req.Header.Set("Content-Type", federation.ContentType)
			status := 0
			if resp, err := http.DefaultClient.Do(req); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			h.done <- status
		}()
		go func() {
			defer wg.Done()
			pw.Write([]byte(`{"v":1,`)) // returns when read, or when the request ends
		}()
		return h
	}
	holders := make([]*holder, httpapi.FederationReaders)
	for i := range holders {
		holders[i] = hold()
	}
	busy, replaced := false, map[int]int{}
	for i := 0; i < 4000 && !busy; i++ {
		for j, h := range holders {
			select {
			case status := <-h.done:
				replaced[status]++
				holders[j] = hold()
			default:
			}
		}
		status, body := post(t, fr.url, []byte(`{}`))
		busy = status == http.StatusServiceUnavailable && strings.Contains(body, "retry")
		if !busy {
			time.Sleep(5 * time.Millisecond) // polling for an event, bounded: 20 s at most
		}
	}
	if busy {
		// A refused delivery whose body is still arriving is answered at once, well
		// before the read timeout (30 s) would end its body.
		slow := hold()
		select {
		case status := <-slow.done:
			if status != http.StatusServiceUnavailable {
				t.Errorf("a slow delivery with every slot taken was answered %d, want 503", status)
			}
		case <-time.After(10 * time.Second):
			t.Error("a slow delivery with every slot taken was not answered while its body was arriving")
		}
		holders = append(holders, slow)
	}
	for _, h := range holders {
		h.pw.CloseWithError(io.ErrUnexpectedEOF)
	}
	wg.Wait()
	t.Logf("holders answered at once and replaced, by status: %v", replaced)
	if !busy {
		t.Fatalf("with %d bodies being read, a further delivery was never answered 503 (holders replaced: %v)", httpapi.FederationReaders, replaced)
	}
	for status, n := range replaced {
		if status != http.StatusServiceUnavailable {
			t.Fatalf("%d holders were answered %d; a holder is only ever refused for want of a slot", n, status)
		}
	}
	good, err := envelope.Seal(warning(c, forewarn.PriorityFlash), c.node(tr).node.Signer)
	if err != nil {
		t.Fatal(err)
	}
	// A slot is free again once its handler has returned, just after it answered: a
	// sender retries a 503, and so does this one, a bounded number of times.
	status, body := http.StatusServiceUnavailable, ""
	for i := 0; i < 1000 && status == http.StatusServiceUnavailable; i++ {
		status, body = post(t, fr.url, good)
	}
	if status != http.StatusOK {
		t.Fatalf("after the slots were released a good delivery got %d %s", status, body)
	}
}

// TestHostileEnvelopesCounted: a flood of envelopes signed by no pinned peer is refused
// every time and goes through the node's refusal log, like every anonymous refusal: the
// first few from the address are audited one by one, the rest counted, past the log's
// limit the address is told to wait (429), and the count is audited, so every refused
// envelope is on the record without one audit entry each.
func TestHostileEnvelopesCounted(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	rl := fr.node.Refusals
	rl.Now = app.NewSimClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)).Now // the interval does not end mid-flood
	stranger := keyfile.FromSeed(bytes.Repeat([]byte{9}, 32))
	evil := warning(c, forewarn.PriorityFlash)
	evil.From = "XX-EVIL"
	body, err := envelope.Seal(evil, stranger)
	if err != nil {
		t.Fatal(err)
	}
	rejects := func() int {
		es, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	before, rejectedBefore := rejects(), fr.msgs.Stats.Rejected.Load()
	flood := rl.Answered + 5
	codes := map[int]int{}
	for range flood {
		status, _ := post(t, fr.url, body)
		codes[status]++
	}
	if codes[http.StatusUnauthorized] != rl.Answered || codes[http.StatusTooManyRequests] != 5 {
		t.Fatalf("answers to %d hostile envelopes: %v; want %d × 401, then 429", flood, codes, rl.Answered)
	}
	if n := fr.msgs.Stats.Rejected.Load() - rejectedBefore; n != int64(flood) {
		t.Fatalf("%d envelopes counted as rejected, want every one of %d", n, flood)
	}
	if n := rejects() - before; n != rl.Audited {
		t.Fatalf("the flood wrote %d message.reject entries, want the first %d, the rest counted", n, rl.Audited)
	}
	rl.Flush(ctx)
	es, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied_repeated", ObjectID: "127.0.0.1"})
	if err != nil || len(es) != 1 {
		t.Fatalf("counts audited: %+v, %v; want one", es, err)
	}
	want := fmt.Sprintf("%d more refused requests from 127.0.0.1", flood-rl.Audited)
	if !strings.Contains(es[0].Detail, want) || !strings.Contains(es[0].Detail, "XX-EVIL") {
		t.Fatalf("the count says %q, want %q and the last refusal", es[0].Detail, want)
	}
}
