package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// TestMessageShowMatches: 'message show' on the recipient says whom the warning's person
// matched among its subjects, how sure, and where the review stands.
func TestMessageShowMatches(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	subj := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21},
		Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if _, err := fr.msgs.CreateSubject(ctx, actor(forewarn.RoleAnalyst), subj); err != nil {
		t.Fatal(err)
	}
	sent, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), warning(c, forewarn.PriorityUrgent))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	secret, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), "liaison", forewarn.RoleLiaison, "show test")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FOREWARN_TOKEN": secret}
	out, _, err := runCLI(t, env, "message", "show", "--node", fr.url, sent.Message.ID)
	if err == nil || !strings.Contains(err.Error(), "--purpose") || strings.Contains(out, "Mostefai") {
		t.Errorf("'message show' of a received warning without --purpose: %v\n%s\nwant a refusal naming --purpose, and no name", err, out)
	}
	out, _, err = runCLI(t, env, "message", "show", "--node", fr.url, "--purpose", "other", "--purpose-text", "call from the TR desk", sent.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Omar Ismail Mostefai", "person p1 matches subject " + subj.ID + " “Ismaël Omar Mostefaï”", "waiting for review"} {
		if !strings.Contains(out, want) {
			t.Errorf("'message show' lacks %q:\n%s", want, out)
		}
	}
	es, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.read", ObjectID: sent.Message.ID, Limit: 100})
	if err != nil || len(es) != 1 || !strings.HasSuffix(es[0].Detail, "purpose: other — call from the TR desk") {
		t.Errorf("the CLI's read of the warning is audited as %v (%v); want one message.read with its purpose", es, err)
	}
}
