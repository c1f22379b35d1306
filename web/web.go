// Package web serves a node's pages to the people who use it, in a browser: signing in and
// browser sessions (with CSRF protection and login rate limits), the inbox, outbox and
// overdue board, a message with its matches and acknowledgement, composing and checking a
// message, subjects with their claims, conflicts, matches, network and timeline, search,
// the audit trail and its verification, and administration of users, peers and tokens.
//
// Pages are rendered on the server with html/template; templates, CSS and the one small
// script are embedded, so the UI ships inside the binary with no front-end build. Every
// core flow works without JavaScript. Every page checks one forewarn.Permission, and every
// refusal is recorded in the audit trail.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
)

//go:embed templates/*.html static/*
var assets embed.FS

// DefaultSessionTTL is how long a browser session lasts: one working day and a bit, so a
// shift never ends with a forced sign-in in the middle of an acknowledgement.
const DefaultSessionTTL = 12 * time.Hour

// pageSize is how many rows a list page shows.
const pageSize = 50

// Server serves the pages of one node.
type Server struct {
	Node     *app.Node
	Messages *app.Messages // nil on a node that does not exchange messages
	Logger   *slog.Logger
	// SessionTTL is how long a session lasts on the node's clock; zero means DefaultSessionTTL.
	SessionTTL time.Duration
	// WallClock times sign-in limits. They run on real time even when the node's clock is
	// simulated (a replay, the demo's frozen clock), so a lock always lifts; nil means the
	// system clock. Tests set it to move time.
	WallClock forewarn.Clock
	// Language is the node's default language for the pages ("en", "fr"), for users who
	// chose none; empty leaves it to each browser's Accept-Language.
	Language string

	pages   map[string]map[string]*template.Template // by language, then by page
	limiter *loginLimiter

	mu     sync.Mutex
	agency *forewarn.Agency
}

// New returns the pages of node; msgs may be nil, then the message pages say so.
func New(node *app.Node, msgs *app.Messages, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Node: node, Messages: msgs, Logger: logger, SessionTTL: DefaultSessionTTL}
	var store forewarn.AuthStore // none only where pages are listed, never served
	if node != nil {
		store = node.Store
	}
	s.limiter = newLoginLimiter(store, func() time.Time {
		if s.WallClock != nil {
			return s.WallClock.Now()
		}
		return time.Now()
	}, 5*time.Minute)
	s.pages = parsePages()
	return s
}

// Register mounts every page on mount: httpapi.Server.Handle in a running node, so the
// pages share its metrics, or an http.ServeMux's Handle in tests.
func (s *Server) Register(mount func(pattern string, h http.Handler)) {
	static, _ := fs.Sub(assets, "static")
	r := func(pattern string, h http.Handler) { mount(pattern, compressed(h)) }

	r("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	r("GET /login", http.HandlerFunc(s.handleLoginForm))
	r("POST /login", http.HandlerFunc(s.handleLogin))
	r("POST /logout", s.page("", s.handleLogout))
	r("GET /password", s.page("", s.handlePasswordForm))
	r("POST /password", s.page("", s.handlePassword))
	r("GET /settings", s.page("", s.handleSettings))
	r("POST /settings", s.page("", s.handleSaveSettings))
	r("GET /{$}", s.page("", s.handleHome))

	r("GET /inbox", s.page(forewarn.PermReadMessages, s.handleInbox))
	r("GET /outbox", s.page(forewarn.PermReadMessages, s.handleOutbox))
	r("GET /overdue", s.page(forewarn.PermReadOverdue, s.handleOverdue))
	r("GET /alerts", s.page(forewarn.PermReadMessages, s.handleAlerts))
	r("POST /alerts/{id}/resolve", s.page(forewarn.PermResolveAlerts, s.handleResolveAlert))
	r("GET /messages/{id}", s.page(forewarn.PermReadMessages, s.handleMessage))
	r("POST /messages/{id}/read", s.page(forewarn.PermAckMessages, s.handleMarkRead))
	r("POST /messages/{id}/ack", s.page(forewarn.PermAckMessages, s.handleAcknowledge))
	r("POST /messages/{id}/assign", s.page(forewarn.PermAckMessages, s.handleAssign))
	r("POST /messages/{id}/consent", s.page(forewarn.PermSendMessages, s.handleConsentAnswer))
	r("POST /messages/{id}/forward", s.page(forewarn.PermReadMessages, s.handleForward))
	r("GET /compose", s.page(forewarn.PermSendMessages, s.handleComposeForm))
	r("POST /compose", s.page(forewarn.PermSendMessages, s.handleCompose))
	r("POST /compose/check", s.page(forewarn.PermSendMessages, s.handleComposeCheck))
	r("GET /private", s.page(forewarn.PermReadMessages, s.handlePrivate))
	r("POST /private", s.page(forewarn.PermSendMessages, s.handleAskPrivately))

	r("GET /subjects", s.page(forewarn.PermReadSubjects, s.handleSubjects))
	r("GET /subjects/new", s.page(forewarn.PermWriteSubjects, s.handleSubjectForm))
	r("POST /subjects", s.page(forewarn.PermWriteSubjects, s.handleCreateSubject))
	r("GET /subjects/{id}", s.page(forewarn.PermReadSubjects, s.handleSubject))
	r("GET /subjects/{id}/edit", s.page(forewarn.PermWriteSubjects, s.handleEditSubjectForm))
	r("POST /subjects/{id}/edit", s.page(forewarn.PermWriteSubjects, s.handleEditSubject))
	r("POST /subjects/{id}/watch", s.page(forewarn.PermWriteSubjects, s.handleSetWatch))
	r("POST /subjects/{id}/links", s.page(forewarn.PermWriteSubjects, s.handleLinkSubject))
	r("GET /subjects/{id}/history", s.page(forewarn.PermReadSubjects, s.handleSubjectHistory))
	r("POST /subjects/{id}/prefer", s.page(forewarn.PermWriteSubjects, s.handlePreferClaim))
	r("POST /subjects/{id}/claims", s.page(forewarn.PermWriteSubjects, s.handleCreateClaim))
	r("POST /matches/{id}/confirm", s.page(forewarn.PermReviewMatches, s.handleConfirmMatch))
	r("POST /matches/{id}/reject", s.page(forewarn.PermReviewMatches, s.handleRejectMatch))
	r("GET /matches", s.page(forewarn.PermReviewMatches, s.handleMatches))
	r("GET /search", s.page(forewarn.PermReadSubjects, s.handleSearch))
	r("GET /reviews", s.page(forewarn.PermRetention, s.handleReviews))
	r("POST /reviews/{kind}/{id}/keep", s.page(forewarn.PermRetention, s.handleKeepItem))
	r("POST /reviews/{kind}/{id}/erase", s.page(forewarn.PermRetention, s.handleEraseItem))

	r("GET /audit", s.page(forewarn.PermReadAudit, s.handleAudit))
	r("GET /oversight", s.page(forewarn.PermReadAudit, s.handleOversight))
	r("POST /audit/verify", s.page(forewarn.PermReadAudit, s.handleVerifyAudit))

	r("GET /admin/users", s.page(forewarn.PermManageUsers, s.handleUsers))
	r("POST /admin/users", s.page(forewarn.PermManageUsers, s.handleCreateUser))
	r("POST /admin/users/{username}/disable", s.page(forewarn.PermManageUsers, s.handleSetUserDisabled(true)))
	r("POST /admin/users/{username}/enable", s.page(forewarn.PermManageUsers, s.handleSetUserDisabled(false)))
	r("GET /admin/peers", s.page(forewarn.PermManagePeers, s.handlePeers))
	r("GET /admin/feeds", s.page(forewarn.PermManagePeers, s.handleFeeds))
	r("GET /admin/agreements", s.page(forewarn.PermManagePeers, s.handleAgreements))
	r("POST /admin/agreements/{code}", s.page(forewarn.PermManagePeers, s.handleSetAgreement))
	r("POST /admin/agreements/{code}/remove", s.page(forewarn.PermManagePeers, s.handleRemoveAgreement))
	r("GET /admin/notifications", s.page(forewarn.PermManageNotifications, s.handleNotifications))
	r("POST /admin/notifications/test", s.page(forewarn.PermManageNotifications, s.handleTestNotification))
	r("POST /admin/notifications/{id}/retry", s.page(forewarn.PermManageNotifications, s.handleRetryNotification))
	r("POST /admin/webhooks", s.page(forewarn.PermManageNotifications, s.handleCreateWebhook))
	r("POST /admin/webhooks/{id}/delete", s.page(forewarn.PermManageNotifications, s.handleDeleteWebhook))
	r("GET /notifications", s.page(forewarn.PermOwnNotifications, s.handleOwnNotifications))
	r("POST /notifications", s.page(forewarn.PermOwnNotifications, s.handleSaveOwnNotifications))
	r("GET /tokens", s.page(forewarn.PermManageOwnToken, s.handleTokens))
	r("POST /tokens", s.page(forewarn.PermManageOwnToken, s.handleCreateToken))
	r("POST /tokens/{id}/revoke", s.page(forewarn.PermManageOwnToken, s.handleRevokeToken))
}

// Handler returns the pages on a mux of their own, for tests and tools that serve only them.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux.Handle)
	return mux
}

// staticHandler serves the embedded assets, never a listing of them, and lets browsers
// cache them for a while: they change only with the binary.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// access is who is asking for a page: the signed-in user, in all their roles.
type access struct {
	Principal *forewarn.Principal
	User      *forewarn.User
	Session   *forewarn.Session
}

// handler is a page handler, called once the user is signed in and allowed.
type handler func(w http.ResponseWriter, r *http.Request, a *access)

// page wraps a handler with what every page needs: a valid session, a password change
// first when one is due, the permission (perm "" needs only a session), and on POST the
// session's CSRF token. Refusals get a clear page and an audit entry.
func (s *Server) page(perm forewarn.Permission, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		a, err := s.signedIn(r)
		var u *forewarn.User
		if a != nil {
			u = a.User
		}
		r = r.WithContext(withLocale(r.Context(), s.chooseLocale(r, u)))
		if err != nil {
			if forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
				s.fail(w, r, nil, err)
				return
			}
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/"
			}
			q := url.Values{"next": {next}}
			if code := endedCode(err); code != "" {
				q.Set("ended", code) // the sign-in page says why, in the reader's language
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if reason := s.checkForm(r, a.Session); reason != "" {
				s.denyf(w, r, a, msg("The form was refused: %s. Reload the page and try again."), reason)
				return
			}
		}
		if a.User.MustChangePassword && !strings.HasPrefix(r.URL.Path, "/password") && r.URL.Path != "/logout" {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		if perm != "" && !a.Principal.Can(perm) {
			s.denyf(w, r, a, msg("Your role (%s) does not allow this page (%s); it is for: %s."), rolesText(english, a.Principal.Roles), string(perm), rolesText(english, forewarn.RolesWith(perm)))
			return
		}
		h(w, r.WithContext(httpapi.WithPrincipal(r.Context(), a.Principal)), a)
	})
}

// setSecurityHeaders keeps the pages out of frames and their scripts to our own.
func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// denyf is deny with a reason formatted from a catalogue key: the trail records it in
// English, the page shows it in the user's language (its arguments are translated when
// the catalogue has them).
func (s *Server) denyf(w http.ResponseWriter, r *http.Request, a *access, format string, args ...any) {
	l := localeOf(r.Context())
	shown := make([]any, len(args))
	for i, x := range args {
		if str, ok := x.(string); ok {
			x = l.T(str)
		}
		shown[i] = x
	}
	why := fmt.Sprintf(format, args...)
	said := l.T(format, shown...)
	// A refusal the audit reads back (forewarn.AuditReasonKinds) is said as the audit page
	// says it: each role by its name and the page by what it is for, in the reader's
	// language.
	if t, ok := l.reasonText(why); ok {
		said = t
	}
	s.refuse(w, r, a, why, said)
}

// deny answers 403 with a page saying why, and records the refusal in the audit trail,
// its path sanitised and cut so no path is too long or too strange to record. Anonymous
// refusals go through the node's refusal log, which counts a flood rather than writing an
// entry for each.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, a *access, why string) {
	s.refuse(w, r, a, why, localeOf(r.Context()).T(why))
}

// refuse is deny with the reason recorded (why, in English) and the reason shown apart.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, a *access, why, shown string) {
	e := &forewarn.AuditEntry{Action: "access.denied", ObjectType: "page", ObjectID: forewarn.AuditText(r.Method+" "+r.URL.Path, 200), Detail: forewarn.AuditText(why, 1000)}
	if a != nil {
		e.Actor = a.Principal.Actor()
		if err := s.Node.Store.RecordAudit(r.Context(), e); err != nil {
			s.Logger.Error("could not audit a refused page", "err", err)
		}
	} else {
		e.Actor = forewarn.SystemActor(forewarn.AuditText("anonymous@"+clientIP(r), 200))
		s.Node.Refusals.Record(r.Context(), clientIP(r), e)
	}
	s.Logger.Warn("page refused", "actor", e.Actor.String(), "method", r.Method, "path", e.ObjectID, "why", why)
	s.render(w, r, a, http.StatusForbidden, "error", msg("Not allowed"), errorPage{Status: http.StatusForbidden, Heading: msg("You are not allowed to do this"), Message: shown})
}

// errorPage is what the error template shows.
type errorPage struct {
	Status  int
	Heading string
	Message string
}

// fail shows err on an error page with the status its code maps to; internal detail goes
// to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, a *access, err error) {
	st := httpapi.ErrorStatus(err)
	if forewarn.ErrorCode(err) == forewarn.EINTERNAL {
		s.Logger.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	heading := statusText(st)
	s.render(w, r, a, st, "error", heading, errorPage{Status: st, Heading: heading, Message: errText(r.Context(), err)})
}

// view is what the layout shows around every page.
type view struct {
	Title   string
	Agency  forewarn.Agency
	User    *forewarn.User
	CSRF    string
	Nav     []navItem
	Active  string
	Alerts  int
	Now     time.Time
	Data    any
	loc     *locale
	granted *forewarn.Principal
	users   func() map[string]*forewarn.User // read once, when a page names a user
}

// UserName is how a page names a user: their display name, with the username beside it
// when they differ; a name the node does not know is shown as it is.
func (v *view) UserName(username string) string {
	if v.users == nil {
		return username
	}
	u := v.users()[username]
	if u == nil || u.DisplayName == "" || u.DisplayName == u.Username {
		return username
	}
	return u.DisplayName + " (" + u.Username + ")"
}

// ActorName names who did something in the audit trail: a user by name, a peer agency or
// a component of the node by what it is.
func (v *view) ActorName(a forewarn.Actor) string {
	name := a.ID
	switch a.Kind {
	case forewarn.ActorUser:
		name = v.UserName(a.ID)
	case forewarn.ActorPeer:
		name = v.loc.T("peer %s", a.ID)
	case forewarn.ActorSystem:
		name = v.loc.T("the node (%s)", v.loc.componentWord(a.ID))
	default:
		name = string(a.Kind) + " " + a.ID
	}
	if a.Token != "" {
		name = v.loc.T("%s, with an API token", name)
	}
	return name
}

// componentWord names a part of the node that acts on its own (forewarn.SystemActor) in
// the reader's language: "escalation" is "relance"; a feed by its ID; a component this
// table does not know (a test's, an address) as it is.
func (l *locale) componentWord(id string) string {
	if w, ok := componentWords[id]; ok {
		return l.T(w)
	}
	if feed, ok := strings.CutPrefix(id, "feed "); ok {
		return l.T("feed %s", feed)
	}
	return id
}

// componentWords are the words for the node's parts that act on their own.
var componentWords = map[string]string{
	"init": msg("setup"), "consent": msg("consent requests"), "delivery": msg("delivery"),
	"escalation": msg("escalation"), "housekeeping": msg("housekeeping"), "matcher": msg("matcher"),
	"notifier": msg("notifications"), "notify": msg("notifications"), "private-sync": msg("private-match sync"),
	"retention": msg("retention"), "demo": msg("demo"),
}

// Can reports whether the signed-in user may do p: templates show only the actions the
// user is allowed.
func (v *view) Can(p string) bool { return v.granted.Can(forewarn.Permission(p)) }

type navItem struct {
	Href, Label string
	Count       int
}

// nav is the site's navigation; each item is shown only to those allowed to open it.
var nav = []struct {
	href, label string
	perm        forewarn.Permission
}{
	{"/inbox", msg("Inbox"), forewarn.PermReadMessages},
	{"/outbox", msg("Outbox"), forewarn.PermReadMessages},
	{"/overdue", msg("Overdue"), forewarn.PermReadOverdue},
	{"/compose", msg("Compose"), forewarn.PermSendMessages},
	{"/private", msg("Ask privately"), forewarn.PermSendMessages},
	{"/subjects", msg("Subjects"), forewarn.PermReadSubjects},
	{"/search", msg("Search"), forewarn.PermReadSubjects},
	{"/matches", msg("Matches"), forewarn.PermReviewMatches},
	{"/reviews", msg("Reviews"), forewarn.PermRetention},
	{"/audit", msg("Audit"), forewarn.PermReadAudit},
	{"/oversight", msg("Oversight"), forewarn.PermReadAudit},
	{"/admin/users", msg("Users"), forewarn.PermManageUsers},
	{"/admin/peers", msg("Peers"), forewarn.PermManagePeers},
	{"/admin/notifications", msg("Notifications"), forewarn.PermManageNotifications},
	{"/tokens", msg("Tokens"), forewarn.PermManageOwnToken},
	{"/notifications", msg("E-mail"), forewarn.PermOwnNotifications},
}

// render executes a page into a buffer first, so a template error becomes a clean 500
// rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, a *access, status int, name, title string, data any) {
	var u *forewarn.User
	if a != nil {
		u = a.User
	}
	loc, ok := r.Context().Value(localeKey{}).(*locale)
	if !ok {
		loc = s.chooseLocale(r, u)
	}
	v := &view{Title: loc.T(title), Data: data, Active: r.URL.Path, Now: s.Node.Clock.Now(), loc: loc}
	v.users = sync.OnceValue(func() map[string]*forewarn.User {
		m := map[string]*forewarn.User{}
		us, err := s.Node.Store.Users(r.Context())
		if err != nil {
			s.Logger.Error("read users for names", "err", err)
		}
		for _, u := range us {
			m[u.Username] = u
		}
		return m
	})
	if ag, err := s.agencyInfo(r.Context()); err == nil {
		v.Agency = *ag
	}
	if a != nil {
		v.User, v.CSRF, v.granted = a.User, a.Session.CSRF, a.Principal
		if !a.User.MustChangePassword {
			for _, n := range nav {
				if a.Principal.Can(n.perm) {
					v.Nav = append(v.Nav, navItem{Href: n.href, Label: loc.T(n.label)})
				}
			}
		}
		v.Alerts = s.alertCount(r.Context(), a.Principal)
	}
	t, ok := s.pages[loc.code][name]
	if !ok {
		s.Logger.Error("no such page template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.Logger.Error("render page", "name", name, "err", err)
		http.Error(w, "internal error; the details are in the node's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(markInvisible(buf.Bytes()))
}

// renderFragment executes one named template alone: the parts the compose script swaps in.
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, page, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[localeOf(r.Context()).code][page].ExecuteTemplate(&buf, name, data); err != nil {
		s.Logger.Error("render fragment", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(markInvisible(buf.Bytes()))
}

// maxAlertCount bounds the alerts counted for the layout's badge; more shows as "100+".
const maxAlertCount = 100

// alertCount is the number of alerts for the user's roles, shown in the layout.
func (s *Server) alertCount(ctx context.Context, p *forewarn.Principal) int {
	if !p.Can(forewarn.PermReadMessages) {
		return 0
	}
	seen := map[string]bool{}
	for _, role := range p.Roles {
		as, err := s.Node.Store.Alerts(ctx, role, maxAlertCount)
		if err != nil {
			s.Logger.Error("count alerts", "role", role, "err", err)
			continue
		}
		for _, al := range as {
			seen[al.ID] = true
		}
	}
	mine, err := s.Node.Store.UserAlerts(ctx, p.Username, maxAlertCount)
	if err != nil {
		s.Logger.Error("count alerts", "user", p.Username, "err", err)
	}
	for _, al := range mine {
		seen[al.ID] = true
	}
	return len(seen)
}

// agencyInfo returns the node's agency, read once.
func (s *Server) agencyInfo(ctx context.Context) (*forewarn.Agency, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agency != nil {
		return s.agency, nil
	}
	info, err := s.Node.Store.Node(ctx)
	if err != nil {
		return nil, err
	}
	s.agency = &info.Agency
	return s.agency, nil
}

// rolesText names roles in the page's language: "liaison, analyst", "officier de liaison, analyste".
func rolesText(l *locale, rs []forewarn.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = l.T(roleNames[r])
	}
	return strings.Join(out, ", ")
}

// roleNames are the words for the roles.
var roleNames = map[forewarn.Role]string{
	forewarn.RoleAnalyst:    msg("analyst"),
	forewarn.RoleLiaison:    msg("liaison"),
	forewarn.RoleSupervisor: msg("supervisor"),
	forewarn.RoleOversight:  msg("oversight"),
	forewarn.RoleAdmin:      msg("admin"),
}

// statusText is the heading of an error page, for the statuses errors map to.
func statusText(st int) string {
	switch st {
	case http.StatusBadRequest:
		return msg("Bad Request")
	case http.StatusUnauthorized:
		return msg("Unauthorized")
	case http.StatusForbidden:
		return msg("Forbidden")
	case http.StatusNotFound:
		return msg("Not Found")
	case http.StatusConflict:
		return msg("Conflict")
	case http.StatusRequestEntityTooLarge:
		return msg("Request Entity Too Large")
	case http.StatusTooManyRequests:
		return msg("Too Many Requests")
	case http.StatusServiceUnavailable:
		return msg("Service Unavailable")
	case http.StatusInternalServerError:
		return msg("Internal Server Error")
	}
	return http.StatusText(st)
}

// redirect answers a successful POST with 303, so reloading the next page does not post again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
