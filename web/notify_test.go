package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestOwnNotificationChoices: a user sets an address (an invalid one is refused, naming
// it) and turns off arrivals, but cannot turn off what their role must receive.
func TestOwnNotificationChoices(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.login("supervisor")
	st, body := b.get("/notifications")
	if st != http.StatusOK || !strings.Contains(body, "your role must receive this") {
		t.Fatalf("GET /notifications = %d; the mandatory escalations are not marked", st)
	}
	st, body, _ = b.post("/notifications", url.Values{"email": {"boss at dgsi"}})
	if st != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), `"boss at dgsi"`) {
		t.Errorf("an invalid address: %d, and the page does not name it", st)
	}
	if s, _ := f.node.Store.NotificationSettings(ctx, "supervisor"); s.Email != "" {
		t.Errorf("an invalid address was stored: %+v", s)
	}
	// Nothing ticked: the digest goes off; escalations stay on, as the role requires.
	if st, _, _ := b.post("/notifications", url.Values{"email": {"boss@dgsi.example"}}); st != http.StatusSeeOther {
		t.Fatalf("saving = %d, want 303", st)
	}
	s, err := f.node.Store.NotificationSettings(ctx, "supervisor")
	if err != nil || s.Email != "boss@dgsi.example" || !slices.Contains(s.Off, forewarn.NotifyDigest) || slices.Contains(s.Off, forewarn.NotifyEscalation) {
		t.Errorf("settings after saving: %+v, %v", s, err)
	}
	if !f.auditHas(t, "user.notifications", "") {
		t.Error("the change is not audited")
	}
}

// TestNotificationsAdminPage: an administrator sees the channels, adds a webhook (its
// secret shown once), sends a test, and retries a dead letter; others may not.
func TestNotificationsAdminPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	liaison := f.browser(t)
	liaison.login("liaison")
	if st, _ := liaison.get("/admin/notifications"); st != http.StatusForbidden {
		t.Errorf("a liaison officer opens the notifications admin page: %d", st)
	}
	if err := f.node.Store.SetNotificationSettings(ctx, forewarn.SystemActor("test"), &forewarn.NotificationSettings{Username: "liaison", Email: "desk@dgsi.example"}); err != nil {
		t.Fatal(err)
	}
	a := f.browser(t)
	a.login("admin2")
	st, body := a.get("/admin/notifications")
	if st != http.StatusOK || !strings.Contains(body, "desk@dgsi.example") || !strings.Contains(body, "Dead letters") || !strings.Contains(body, "Delivery log") {
		t.Fatalf("GET /admin/notifications = %d", st)
	}
	st, body, _ = a.post("/admin/webhooks", url.Values{"name": {"on-call"}, "url": {"https://oncall.dgsi.example/hook"}, "types": {"message.escalated"}})
	if st != http.StatusCreated || !strings.Contains(body, "whsec_") {
		t.Fatalf("adding a webhook = %d; the secret is not shown", st)
	}
	hooks, _ := f.node.Store.Webhooks(ctx)
	if len(hooks) != 1 || !slices.Equal(hooks[0].Types, []forewarn.NotificationType{forewarn.NotifyEscalation}) {
		t.Fatalf("webhooks %+v", hooks)
	}
	if st, _, _ := a.post("/admin/webhooks", url.Values{"name": {"bad"}, "url": {"ftp://x"}}); st != http.StatusBadRequest {
		t.Errorf("a webhook with an ftp URL = %d, want 400", st)
	}
	if st, _, h := a.post("/admin/notifications/test", url.Values{"target": {"email:liaison"}}); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=test") {
		t.Fatalf("send test = %d", st)
	}
	due, _ := f.node.Store.DueNotifications(ctx, f.clock.Now(), 0)
	var test *forewarn.Notice
	for _, n := range due {
		if n.Type == forewarn.NotifyTest {
			test = n
		}
	}
	if test == nil || test.Address != "desk@dgsi.example" {
		t.Fatalf("no test notification queued: %+v", due)
	}
	if err := f.node.Store.NotificationFailed(ctx, test.ID, "550 5.1.1 mailbox unavailable", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, body = a.get("/admin/notifications")
	if !strings.Contains(body, "550 5.1.1 mailbox unavailable") || !strings.Contains(body, "/admin/notifications/"+test.ID+"/retry") {
		t.Fatal("the dead letter is not shown with its error and a retry button")
	}
	if st, _, _ := a.post("/admin/notifications/"+test.ID+"/retry", nil); st != http.StatusSeeOther {
		t.Fatalf("retry = %d", st)
	}
	if dead, total, _ := f.node.Store.Notifications(ctx, forewarn.NotificationFilter{State: "dead"}); total != 0 {
		t.Errorf("still dead after the retry: %+v", dead)
	}
	if st, _, _ := a.post("/admin/webhooks/"+hooks[0].ID+"/delete", nil); st != http.StatusSeeOther {
		t.Errorf("removing the webhook = %d", st)
	}
}
