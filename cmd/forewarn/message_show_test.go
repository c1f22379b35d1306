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
	out, _, err := runCLI(t, map[string]string{"FOREWARN_TOKEN": secret}, "message", "show", "--node", fr.url, sent.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"person p1 matches subject " + subj.ID + " “Ismaël Omar Mostefaï”", "waiting for review"} {
		if !strings.Contains(out, want) {
			t.Errorf("'message show' lacks %q:\n%s", want, out)
		}
	}
}
