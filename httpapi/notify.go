package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

func init() {
	schemaTypes["NotificationEvent"] = forewarn.NotificationEvent{}
	schemaTypes["Notice"] = forewarn.Notice{}
	schemaTypes["NoticePage"] = page[*forewarn.Notice]{}
	schemaTypes["NotificationSettings"] = forewarn.NotificationSettings{}
	schemaTypes["TestNotification"] = testNotification{}
	schemaTypes["Webhook"] = forewarn.Webhook{}
	schemaTypes["NewWebhook"] = newWebhook{}
	schemaTypes["WebhookCreated"] = webhookCreated{}
	schemaTypes["WebhookPage"] = page[*forewarn.Webhook]{}
}

// notificationRoutes are the endpoints of notification settings and administration.
func (s *Server) notificationRoutes() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/me/notifications", Perm: forewarn.PermOwnNotifications, Tag: "notifications", Summary: "The caller's e-mail address and the notification types they turned off", Response: "NotificationSettings", handler: s.handleGetOwnNotifications},
		{Method: "PUT", Path: "/api/v1/me/notifications", Perm: forewarn.PermOwnNotifications, Tag: "notifications", Summary: "Set the caller's address and choices, within what their role must receive", Request: "NotificationSettings", Response: "NotificationSettings", handler: s.handlePutNotifications(false)},
		{Method: "PUT", Path: "/api/v1/users/{username}/notifications", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "Set a user's e-mail address and choices", Request: "NotificationSettings", Response: "NotificationSettings", handler: s.handlePutNotifications(true)},
		{Method: "GET", Path: "/api/v1/notifications", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "The delivery log, newest first: state pending, sent or dead (the dead-letter list)", Query: append([]string{"state"}, pageQuery...), Response: "NoticePage", handler: s.handleListNotifications},
		{Method: "POST", Path: "/api/v1/notifications/{id}/retry", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "Send a dead-lettered notification again", Status: http.StatusNoContent, handler: s.handleRetryNotification},
		{Method: "POST", Path: "/api/v1/notifications/test", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "Queue a test notification to a user's address or a webhook", Request: "TestNotification", Response: "Notice", Status: http.StatusCreated, handler: s.handleTestNotification},
		{Method: "GET", Path: "/api/v1/webhooks", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "Webhooks that receive signed notification events (see the NotificationEvent schema)", Response: "WebhookPage", handler: s.handleListWebhooks},
		{Method: "POST", Path: "/api/v1/webhooks", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "Register a webhook; answers with its signing secret, shown once", Request: "NewWebhook", Response: "WebhookCreated", Status: http.StatusCreated, handler: s.handleCreateWebhook},
		{Method: "DELETE", Path: "/api/v1/webhooks/{id}", Perm: forewarn.PermManageNotifications, Tag: "notifications", Summary: "Remove a webhook; what was still queued for it is dead-lettered", Status: http.StatusNoContent, handler: s.handleDeleteWebhook},
	}
}

// SetNotifier exports the notification worker's counters and the outbox's backlog in
// /metrics.
func (s *Server) SetNotifier(n *app.Notifier) {
	s.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "forewarn_notifications_sent_total", Help: "Notifications (e-mail and webhook) the mail server or receiver accepted."},
			func() float64 { return float64(n.Stats.Sent.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "forewarn_notifications_failed_total", Help: "Notification attempts that failed (retried, or dead-lettered after the last)."},
			func() float64 { return float64(n.Stats.Failed.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "forewarn_notifications_pending", Help: "Notifications queued and not yet sent."},
			func() float64 {
				return s.notificationCount(func(c forewarn.NotificationCounts) int { return c.Pending })
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "forewarn_notifications_dead", Help: "Notifications in the dead-letter list, waiting for an administrator."},
			func() float64 { return s.notificationCount(func(c forewarn.NotificationCounts) int { return c.Dead }) }),
	)
}

func (s *Server) notificationCount(f func(forewarn.NotificationCounts) int) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := s.Node.Store.NotificationCounts(ctx)
	if err != nil {
		s.Logger.Error("metrics: count notifications", "err", err)
		return -1
	}
	return float64(f(c))
}

func (s *Server) handleGetOwnNotifications(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	st, err := s.Node.Store.NotificationSettings(r.Context(), p.Username)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handlePutNotifications(other bool) func(http.ResponseWriter, *http.Request, *forewarn.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
		var body forewarn.NotificationSettings
		if err := decodeJSON(r, &body); err != nil {
			s.writeError(w, r, err)
			return
		}
		body.Username = p.Username
		if other {
			body.Username = r.PathValue("username")
		}
		if body.Off == nil {
			body.Off = []forewarn.NotificationType{}
		}
		if err := s.Node.Store.SetNotificationSettings(r.Context(), p.Actor(), &body); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	}
}

func (s *Server) handleListNotifications(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	offset, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ns, total, err := s.Node.Store.Notifications(r.Context(), forewarn.NotificationFilter{State: r.URL.Query().Get("state"), Offset: offset, Limit: limit})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Administrators run the node; they are not cleared to read messages, so names and
	// summaries the outbox keeps (to send where allowed) are not shown in the log.
	for _, n := range ns {
		n.Event.Detail = nil
	}
	writeJSON(w, http.StatusOK, page[*forewarn.Notice]{Items: nonNil(ns), Total: total, Offset: offset, Limit: limit})
}

func (s *Server) handleRetryNotification(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if err := s.Node.Store.RetryNotification(r.Context(), p.Actor(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testNotification is the body of POST /api/v1/notifications/test.
type testNotification struct {
	Channel forewarn.Channel `json:"channel"` // email or webhook
	Target  string           `json:"target"`  // a username, or a webhook ID
}

func (s *Server) handleTestNotification(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body testNotification
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.Node.Store.QueueTestNotification(r.Context(), p.Actor(), body.Channel, body.Target)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (s *Server) handleListWebhooks(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	ws, err := s.Node.Store.Webhooks(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[*forewarn.Webhook]{Items: nonNil(ws), Total: len(ws), Limit: len(ws)})
}

// newWebhook is the body of POST /api/v1/webhooks.
type newWebhook struct {
	Name  string                      `json:"name"`
	URL   string                      `json:"url"`
	Types []forewarn.NotificationType `json:"types"` // empty: every type
}

// webhookCreated answers POST /api/v1/webhooks: the only time the secret is shown.
type webhookCreated struct {
	Webhook *forewarn.Webhook `json:"webhook"`
	Secret  string            `json:"secret"`
}

func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body newWebhook
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	hook, err := CreateWebhook(r.Context(), s.Node.Store, p.Actor(), body.Name, body.URL, body.Types)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, webhookCreated{Webhook: hook, Secret: hook.Secret})
}

// CreateWebhook registers a webhook with a new random signing secret.
func CreateWebhook(ctx context.Context, store forewarn.Store, actor forewarn.Actor, name, url string, types []forewarn.NotificationType) (*forewarn.Webhook, error) {
	b := make([]byte, 24)
	rand.Read(b)
	hook := &forewarn.Webhook{Name: name, URL: url, Types: types, Secret: "whsec_" + base64.RawURLEncoding.EncodeToString(b)}
	if err := store.CreateWebhook(ctx, actor, hook); err != nil {
		return nil, err
	}
	return hook, nil
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if err := s.Node.Store.DeleteWebhook(r.Context(), p.Actor(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
