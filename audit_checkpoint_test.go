package forewarn

import (
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// chain builds n linked entries and signs a checkpoint at every multiple of every.
func chain(t *testing.T, n, every int64, priv ed25519.PrivateKey) ([]*AuditEntry, []AuditCheckpoint) {
	t.Helper()
	var entries []*AuditEntry
	var cps []AuditCheckpoint
	prev := GenesisHash
	at := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for seq := int64(1); seq <= n; seq++ {
		e := &AuditEntry{Seq: seq, Time: at.Add(time.Duration(seq) * time.Second), Actor: UserActor("analyst"), Action: "subject.read",
			ObjectType: "subject", ObjectID: "s1", PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		entries = append(entries, e)
		if seq%every == 0 {
			c := AuditCheckpoint{Seq: seq, Hash: e.Hash, Time: e.Time, Agency: "FR-DGSI"}
			c.Signature = hex.EncodeToString(ed25519.Sign(priv, c.SignedBytes()))
			cps = append(cps, c)
		}
	}
	return entries, cps
}

func TestRequireCheckpointsEvery(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	entries, cps := chain(t, 25, 10, priv)
	verify := func(cps []AuditCheckpoint, every int64) error {
		v := NewAuditVerifier(pub, cps)
		v.RequireCheckpointsEvery(every)
		for _, e := range entries {
			v.Add(e)
		}
		_, err := v.Finish()
		return err
	}
	if err := verify(cps, 10); err != nil {
		t.Fatalf("an honest chain fails: %v", err)
	}
	// Deleting the checkpoint at 10 is how a chain rewritten from entry 3 on would hide.
	err := verify(cps[1:], 10)
	if err == nil || !strings.Contains(err.Error(), "no signed checkpoint between entries 0 and 20") {
		t.Fatalf("deleted checkpoint not detected: %v", err)
	}
	// Deleting the last one leaves a run of 15 from 10 to the end of the chain.
	if err := verify(cps[:1], 10); err == nil || !strings.Contains(err.Error(), "entries 10 and 25") {
		t.Fatalf("deleted last checkpoint not detected: %v", err)
	}
	// Without the rule the same deletion passes: the rule is what catches it.
	if err := verify(cps[1:], 0); err != nil {
		t.Fatalf("without the rule: %v", err)
	}
	// A key other than the node's fails every signature.
	other, _, _ := ed25519.GenerateKey(nil)
	v := NewAuditVerifier(other, cps)
	for _, e := range entries {
		v.Add(e)
	}
	if _, err := v.Finish(); err == nil || !strings.Contains(err.Error(), "bad signature") {
		t.Fatalf("checkpoints under another key accepted: %v", err)
	}
}

// TestCheckpointGapCountsOnlyWhatVerified: a run without checkpoints reports the entry
// where the rule broke and, as verified, only the entries before it, never more.
func TestCheckpointGapCountsOnlyWhatVerified(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	entries, cps := chain(t, 54, 50, priv)
	v := NewAuditVerifier(pub, cps)
	v.RequireCheckpointsEvery(4)
	for _, e := range entries {
		v.Add(e)
	}
	n, err := v.Finish()
	ae, ok := err.(*AuditError)
	if !ok || ae.Seq != 4 || n != 3 {
		t.Fatalf("Finish = %d, %v; want entry 4 named and 3 verified before it", n, err)
	}
}
