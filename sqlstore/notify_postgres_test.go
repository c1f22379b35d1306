package sqlstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// A late arrival on PostgreSQL takes who hears of it from memory, and its pipeline checks
// the access version they were read at: a user, a notification setting or a webhook
// written since by another process (here plain SQL, which no server of the node saw)
// moves it, and the arrival is notified to whom the store says now, not to whom memory
// held.
func TestNotifiedFollowOtherWritersPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL notification recipients", 0)
	e.Init()
	e.AddPeers()
	system := forewarn.SystemActor("test")
	if err := e.Store.CreateUser(e.Ctx, system, &forewarn.User{Username: "desk", DisplayName: "Desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetNotificationSettings(e.Ctx, system, &forewarn.NotificationSettings{Username: "desk", Email: "desk@fr-dgsi.example"}); err != nil {
		t.Fatal(err)
	}
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	// arrive stores an urgent arrival, which the liaison desk hears of, and returns the
	// addresses its notifications went to.
	arrive := func() []string {
		t.Helper()
		e.Clock.Advance(time.Second)
		sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
		sm.Priority = forewarn.PriorityUrgent
		if _, _, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt); err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		ns, err := db.DueNotifications(e.Ctx, e.Clock.Now().Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, n := range ns {
			if n.MessageID == sm.Message.ID {
				to = append(to, n.Address)
			}
		}
		slices.Sort(to)
		return to
	}
	for i := range 2 { // read, then from memory
		if got := arrive(); !slices.Equal(got, []string{"desk@fr-dgsi.example"}) {
			t.Fatalf("arrival %d notified %v, want the desk", i, got)
		}
	}
	for _, c := range []struct {
		write string
		want  []string
	}{
		{"UPDATE notification_settings SET email = 'duty@fr-dgsi.example' WHERE username = 'desk'", []string{"duty@fr-dgsi.example"}},
		{"INSERT INTO webhooks (id, name, url, secret, types, disabled, created_at) VALUES ('w1', 'on-call', 'http://127.0.0.1:9/hook', '0123456789abcdef0123', '', FALSE, '2026-01-01T00:00:00.000000000Z')",
			[]string{"duty@fr-dgsi.example", "http://127.0.0.1:9/hook"}},
		{"UPDATE users SET disabled = TRUE WHERE username = 'desk'", []string{"http://127.0.0.1:9/hook"}},
		{"DELETE FROM webhooks", nil},
	} {
		if _, err := conn.ExecContext(e.Ctx, c.write); err != nil {
			t.Fatalf("%s: %v", c.write, err)
		}
		if got := arrive(); !slices.Equal(got, c.want) {
			t.Errorf("after %s: notified %v, want %v", c.write, got, c.want)
		}
	}
	e.MustVerify()
}
