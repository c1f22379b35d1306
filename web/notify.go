package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/httpapi"
)

// notificationsPage is the administrator's view of how notifications leave the node.
type notificationsPage struct {
	EmailChannel string
	Users        []userAddress
	Webhooks     []*forewarn.Webhook
	Counts       forewarn.NotificationCounts
	State        string
	Log          []*forewarn.Notice
	Total        int
	Dead         []*forewarn.Notice
	Types        []forewarn.NotificationType
	Flash        string
	Error        string
	NewWebhook   *forewarn.Webhook // shown once with its secret
}

// userAddress is a user and the address notifications go to.
type userAddress struct {
	User  *forewarn.User
	Email string
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request, a *access) {
	pg := notificationsPage{State: r.URL.Query().Get("state")}
	switch r.URL.Query().Get("done") {
	case "test":
		pg.Flash = msg("Test notification queued; it appears in the delivery log when sent.")
	case "retry":
		pg.Flash = msg("Notification queued again.")
	case "deleted":
		pg.Flash = msg("Webhook removed.")
	}
	s.showNotifications(w, r, a, http.StatusOK, pg)
}

func (s *Server) showNotifications(w http.ResponseWriter, r *http.Request, a *access, status int, pg notificationsPage) {
	ctx := r.Context()
	if s.Messages != nil && s.Messages.Notifier != nil {
		pg.EmailChannel = s.Messages.Notifier.EmailChannel
	}
	users, err := s.Node.Store.Users(ctx)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, u := range users {
		st, err := s.Node.Store.NotificationSettings(ctx, u.Username)
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		pg.Users = append(pg.Users, userAddress{User: u, Email: st.Email})
	}
	if pg.Webhooks, err = s.Node.Store.Webhooks(ctx); err != nil {
		s.fail(w, r, a, err)
		return
	}
	if pg.Counts, err = s.Node.Store.NotificationCounts(ctx); err != nil {
		s.fail(w, r, a, err)
		return
	}
	if pg.Dead, _, err = s.Node.Store.Notifications(ctx, forewarn.NotificationFilter{State: "dead", Limit: 50}); err != nil {
		s.fail(w, r, a, err)
		return
	}
	state := pg.State
	if state != "pending" && state != "sent" && state != "dead" {
		state, pg.State = "", ""
	}
	if pg.Log, pg.Total, err = s.Node.Store.Notifications(ctx, forewarn.NotificationFilter{State: state, Limit: 50}); err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Types = forewarn.NotificationTypes
	s.render(w, r, a, status, "notifications", msg("Notifications"), pg)
}

// handleTestNotification queues a test to one user's address or one webhook: "send test".
func (s *Server) handleTestNotification(w http.ResponseWriter, r *http.Request, a *access) {
	ch, target, _ := strings.Cut(r.PostFormValue("target"), ":")
	if _, err := s.Node.Store.QueueTestNotification(r.Context(), a.Principal.Actor(), forewarn.Channel(ch), target); err != nil {
		s.showNotifications(w, r, a, httpStatus(err), notificationsPage{Error: errText(r.Context(), err)})
		return
	}
	if s.Messages != nil {
		s.Messages.Notifier.Poke()
	}
	redirect(w, r, "/admin/notifications?done=test")
}

func (s *Server) handleRetryNotification(w http.ResponseWriter, r *http.Request, a *access) {
	if err := s.Node.Store.RetryNotification(r.Context(), a.Principal.Actor(), r.PathValue("id")); err != nil {
		s.showNotifications(w, r, a, httpStatus(err), notificationsPage{Error: errText(r.Context(), err)})
		return
	}
	if s.Messages != nil {
		s.Messages.Notifier.Poke()
	}
	redirect(w, r, "/admin/notifications?done=retry")
}

func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request, a *access) {
	var types []forewarn.NotificationType
	for _, t := range r.PostForm["types"] {
		types = append(types, forewarn.NotificationType(t))
	}
	hook, err := httpapi.CreateWebhook(r.Context(), s.Node.Store, a.Principal.Actor(), strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("url")), types)
	if err != nil {
		s.showNotifications(w, r, a, httpStatus(err), notificationsPage{Error: errText(r.Context(), err)})
		return
	}
	s.showNotifications(w, r, a, http.StatusCreated, notificationsPage{NewWebhook: hook})
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request, a *access) {
	if err := s.Node.Store.DeleteWebhook(r.Context(), a.Principal.Actor(), r.PathValue("id")); err != nil {
		s.showNotifications(w, r, a, httpStatus(err), notificationsPage{Error: errText(r.Context(), err)})
		return
	}
	redirect(w, r, "/admin/notifications?done=deleted")
}

// ownNotificationsPage is where a user sets their address and what reaches them.
type ownNotificationsPage struct {
	Email   string
	Choices []notificationChoice
	Saved   bool
	Error   string
}

type notificationChoice struct {
	Type      forewarn.NotificationType
	Label     string
	On        bool
	Mandatory bool // the user's role must receive it
	ForRole   bool // it goes to one of the user's roles at all
}

var notificationLabels = map[forewarn.NotificationType]string{
	forewarn.NotifyArrival:      msg("a flash or urgent message arrives, or one holding a person on our watch list"),
	forewarn.NotifyEscalation:   msg("a received message is overdue and escalates to me"),
	forewarn.NotifyOverdue:      msg("a warning we sent is overdue at its recipient"),
	forewarn.NotifyDigest:       msg("the daily digest of overdue messages"),
	forewarn.NotifyMatch:        msg("a received person matches one of our subjects"),
	forewarn.NotifyPrivateMatch: msg("a private query finds a likely match"),
	forewarn.NotifyReview:       msg("an item's retention review is due"),
	forewarn.NotifyConsent:      msg("a partner asks our consent to pass our message on"),
	forewarn.NotifyOverride:     msg("a partner passed our message on without our consent"),
	forewarn.NotifyAlert:        msg("any other alert"),
}

func (s *Server) handleOwnNotifications(w http.ResponseWriter, r *http.Request, a *access) {
	st, err := s.Node.Store.NotificationSettings(r.Context(), a.User.Username)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.showOwnNotifications(w, r, a, http.StatusOK, st, r.URL.Query().Get("saved") != "", "")
}

func (s *Server) showOwnNotifications(w http.ResponseWriter, r *http.Request, a *access, status int, st *forewarn.NotificationSettings, saved bool, errText string) {
	pg := ownNotificationsPage{Email: st.Email, Saved: saved, Error: errText}
	for _, t := range forewarn.NotificationTypes {
		c := notificationChoice{Type: t, Label: notificationLabels[t], On: !slices.Contains(st.Off, t)}
		for _, role := range a.User.Roles {
			c.ForRole = c.ForRole || slices.Contains(forewarn.NotificationRoles[t], role)
			c.Mandatory = c.Mandatory || slices.Contains(forewarn.MandatoryNotifications(role), t)
		}
		if c.Mandatory {
			c.On = true
		}
		pg.Choices = append(pg.Choices, c)
	}
	s.render(w, r, a, status, "mynotifications", msg("E-mail notifications"), pg)
}

func (s *Server) handleSaveOwnNotifications(w http.ResponseWriter, r *http.Request, a *access) {
	st := &forewarn.NotificationSettings{Username: a.User.Username, Email: strings.TrimSpace(r.PostFormValue("email")), Off: []forewarn.NotificationType{}}
	on := r.PostForm["on"]
	for _, t := range forewarn.NotificationTypes {
		mandatory := false
		for _, role := range a.User.Roles {
			mandatory = mandatory || slices.Contains(forewarn.MandatoryNotifications(role), t)
		}
		if !mandatory && !slices.Contains(on, string(t)) {
			st.Off = append(st.Off, t)
		}
	}
	if err := s.Node.Store.SetNotificationSettings(r.Context(), a.Principal.Actor(), st); err != nil {
		s.showOwnNotifications(w, r, a, httpStatus(err), st, false, errText(r.Context(), err))
		return
	}
	redirect(w, r, "/notifications?saved="+url.QueryEscape("1"))
}
