package main

import (
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

var agencyDE = forewarn.Agency{Code: "DE-BFV", Name: "Bundesamt für Verfassungsschutz", Country: "DE"}

// threeNodes starts Turkey, France and Germany, each a pinned peer of the others.
func threeNodes(t *testing.T, start time.Time) (*Main, *cluster) {
	t.Helper()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(context.Background(), t.TempDir(), start, []forewarn.Agency{agencyTR, agencyFR, agencyDE}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return m, c
}

// TestCoRecipientCannotPreemptIDs: Germany, a co-recipient of Turkey's warning to France,
// gets to France first, once with a message of its own under the warning's ID and once
// with the genuine envelope relayed with its co-signature. Either way Turkey's own
// delivery is receipted, for the envelope Turkey sent, and France holds the warning.
func TestCoRecipientCannotPreemptIDs(t *testing.T) {
	ctx := context.Background()
	_, c := threeNodes(t, day("2015-01-05 09:00"))
	tr, fr, de := c.node(agencyTR.Code), c.node(agencyFR.Code), c.node(agencyDE.Code)
	trKey := func(string) (ed25519.PublicKey, error) { return tr.node.Signer.PublicKey(), nil }
	frKey := func(string) (ed25519.PublicKey, error) { return fr.node.Signer.PublicKey(), nil }

	warn := func() (*forewarn.Message, []byte) {
		m := warning(c, forewarn.PriorityUrgent)
		m.To = []string{agencyFR.Code, agencyDE.Code}
		m.Marks.ReleasableTo = m.To
		env, err := envelope.Seal(m, tr.node.Signer)
		if err != nil {
			t.Fatal(err)
		}
		return m, env
	}
	deliverGenuine := func(m *forewarn.Message, env []byte) {
		t.Helper()
		status, body := post(t, fr.url, env)
		if status != http.StatusOK {
			t.Fatalf("Turkey's own delivery of %s: %d %s; want its receipt", m.ID, status, body)
		}
		r, err := envelope.OpenReceipt([]byte(body), frKey, 0)
		digest, _ := envelope.Digest(env)
		if err != nil || r.MessageID != m.ID || r.Digest != digest {
			t.Fatalf("receipt %+v, %v; want one for %s and the envelope Turkey sent", r, err, m.ID)
		}
		held, err := fr.node.Store.MessageFrom(ctx, agencyTR.Code, m.ID)
		if err != nil || held.Message.Notification.Summary != m.Notification.Summary {
			t.Fatalf("France holds %+v, %v for Turkey's %s", held, err, m.ID)
		}
	}

	// Germany's own message under Turkey's ID.
	m1, env1 := warn()
	own := warning(c, forewarn.PriorityRoutine)
	own.ID, own.From, own.Notification.Summary = m1.ID, agencyDE.Code, "nothing to see here"
	ownEnv, err := envelope.Seal(own, de.node.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := post(t, fr.url, ownEnv); status != http.StatusOK {
		t.Fatalf("Germany's message: %d %s", status, body)
	}
	deliverGenuine(m1, env1)
	deliverGenuine(m1, env1) // and a retry gets the same receipt

	// The genuine envelope relayed with Germany's co-signature.
	m2, env2 := warn()
	relayed, err := envelope.CoSign(env2, agencyDE.Code, de.node.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.Open(relayed, func(a string) (ed25519.PublicKey, error) {
		if a == agencyDE.Code {
			return de.node.Signer.PublicKey(), nil
		}
		return trKey(a)
	}, 0); err != nil {
		t.Fatalf("the relayed envelope does not open: %v", err)
	}
	if status, body := post(t, fr.url, relayed); status != http.StatusOK {
		t.Fatalf("the relayed envelope: %d %s", status, body)
	}
	deliverGenuine(m2, env2)
}
