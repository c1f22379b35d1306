package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/forewarn/forewarn"
)

// testConcurrentMessageWriters: many writers at once (arrivals, sends, receipts, subjects, and
// the same message arriving twice at the same moment) leave one audit chain that
// verifies, with exactly one entry per change, and nothing stored twice.
func testConcurrentMessageWriters(t *testing.T, open Opener) {
	e := NewEnv(t, open, 7) // checkpoints every 7 entries: many fall inside the storm
	e.Init()
	e.AddPeers()
	before := e.AuditCount()
	const writers, each = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*4)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				now := e.Clock.Now()
				in := NewNotification(PeerFR, []string{Agency.Code}, now)
				sm, receipt := e.Incoming(in)
				if _, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil || dup {
					errs <- fmt.Errorf("ReceiveMessage: dup %v, %v", dup, err)
				}
				out := NewNotification(Agency.Code, []string{PeerFR}, now)
				if _, err := e.send(out); err != nil {
					errs <- fmt.Errorf("CreateMessage: %v", err)
				}
				if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: out.ID, Agency: PeerFR, Receipt: []byte("receipt " + out.ID), At: now}); err != nil {
					errs <- fmt.Errorf("Delivered: %v", err)
				}
				if err := e.Store.CreateSubject(e.Ctx, analyst, NewSubject(fmt.Sprintf("Subject %d-%d", w, i))); err != nil {
					errs <- fmt.Errorf("CreateSubject: %v", err)
				}
			}
		}(w)
	}
	// One message delivered twice at the same moment (a sender retrying, or two of its
	// servers): stored once, both told the same receipt.
	twice := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	receipts := make([][]byte, 2)
	dups := make([]bool, 2)
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := *twice
			sm, receipt := e.Incoming(&m)
			receipt = append(receipt, byte('a'+k)) // each attempt would give its own
			got, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt)
			if err != nil {
				errs <- fmt.Errorf("ReceiveMessage of the same message twice: %v", err)
			}
			receipts[k], dups[k] = got, dup
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if dups[0] == dups[1] || !bytes.Equal(receipts[0], receipts[1]) {
		t.Errorf("the same message arriving twice at once: duplicate %v and %v, receipts equal %v; want one stored, one told it was a duplicate, one receipt",
			dups[0], dups[1], bytes.Equal(receipts[0], receipts[1]))
	}
	// Each writer: a receive, a send, a receipt and a subject, one entry each; and the
	// message received twice, once.
	if got, want := e.AuditCount()-before, writers*each*4+1; got != want {
		t.Errorf("%d audit entries written, want %d (one per change)", got, want)
	}
	if n, err := e.Verify(); err != nil {
		t.Errorf("the chain does not verify after concurrent writers: %v", err)
	} else if n != int64(e.AuditCount()) {
		t.Errorf("verified %d entries of %d", n, e.AuditCount())
	}
}
