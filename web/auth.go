package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// SessionCookie is the name of the browser session's cookie.
const SessionCookie = "forewarn_session"

// dummyHash is compared against when a username is unknown, so that a failed login takes
// as long whether or not the user exists. It is computed on first use: a bcrypt hash costs
// about 80 ms, which every command of the binary would otherwise pay at start.
var dummyHash = sync.OnceValue(func() string {
	h, _ := app.HashPassword("not-a-real-password-at-all")
	return h
})

// randomToken returns n random bytes, URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// signedIn resolves the request's session cookie to the user and their roles; EUNAUTHORIZED
// when there is no valid session or the user is disabled.
func (s *Server) signedIn(r *http.Request) (*access, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "sign in first")
	}
	sess, err := s.Node.Store.SessionByHash(r.Context(), app.HashSecret(c.Value), s.Node.Clock.Now())
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "your session has ended; sign in again")
	}
	if err != nil {
		return nil, err
	}
	u, err := s.Node.Store.UserByUsername(r.Context(), sess.Username)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "your account no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "your account is disabled")
	}
	p := &forewarn.Principal{Username: u.Username, Roles: append([]forewarn.Role(nil), u.Roles...)}
	return &access{Principal: p, User: u, Session: sess}, nil
}

// checkForm returns why a POST is refused, or "": it must come from this site (Origin,
// when the browser sends it) and carry the session's CSRF token, compared in constant time.
func (s *Server) checkForm(r *http.Request, sess *forewarn.Session) string {
	if why := crossSite(r); why != "" {
		return why
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	return checkToken(r.PostFormValue("csrf"), sess.CSRF, "your session")
}

// crossSite returns why a POST's Origin shows it came from another site, or "". "null"
// is what a sandboxed frame or a privacy-minded redirect sends, from any site: it is
// cross-site too.
func crossSite(r *http.Request) string {
	o := r.Header.Get("Origin")
	if o == "" {
		return ""
	}
	if u, err := url.Parse(o); err != nil || o == "null" || u.Host != r.Host {
		return "it was sent from another site (Origin: " + o + ")" // audited as is
	}
	return ""
}

// checkToken compares a form's CSRF token with the one it must carry, in constant time.
func checkToken(got, want, whose string) string {
	if got == "" {
		return "it carries no CSRF token"
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "its CSRF token does not match " + whose
	}
	return ""
}

// maxFormBytes bounds a form: a compose form with many persons fits easily.
const maxFormBytes = 1 << 20

// LoginCookie carries the sign-in form's CSRF token before there is a session: the form
// must post back the same value (a double-submit token), which another site cannot read,
// so it cannot sign a browser in to an account of its choosing.
const LoginCookie = "forewarn_login"

type loginPage struct {
	Username string
	Next     string
	Error    string
	CSRF     string
	Lang     string          // the language chosen on the page, kept across the form
	Choices  []loginLanguage // the languages the page offers
}

// loginLanguage is one language offered on the sign-in page, linked with the page's next.
type loginLanguage struct {
	Code, Name, Href string
	Current          bool
}

// signInEnded are why a signed-in browser was sent back to the sign-in page, by the code
// the redirect carries (?ended=): the page says it in the reader's language.
var signInEnded = map[string]string{
	"session":  msg("Your session has ended; sign in again."),
	"gone":     msg("Your account no longer exists."),
	"disabled": msg("Your account is disabled; ask an administrator."),
}

// endedCode is the code of signInEnded for why signedIn refused a browser that had a
// session cookie; "" when it had none.
func endedCode(err error) string {
	switch forewarn.ErrorMessage(err) {
	case "your session has ended; sign in again":
		return "session"
	case "your account no longer exists":
		return "gone"
	case "your account is disabled":
		return "disabled"
	}
	return ""
}

// LanguageCookie remembers the language of the last person who signed in with this
// browser, or chose one on the sign-in page, so the sign-in page speaks it when a session
// has ended and no user is known. It holds a language code, nothing else.
const LanguageCookie = "forewarn_lang"

// loginLocale is the language of the sign-in page: the one chosen on it (?lang=, kept by
// the form), else the one this browser's last user read in (LanguageCookie), else the
// node's, else the browser's Accept-Language. No user is known yet.
func (s *Server) loginLocale(r *http.Request, chosen string) *locale {
	if l, ok := locales[chosen]; ok {
		return l
	}
	if c, err := r.Cookie(LanguageCookie); err == nil {
		if l, ok := locales[c.Value]; ok {
			return l
		}
	}
	return s.chooseLocale(r, nil)
}

// rememberLanguage sets LanguageCookie to l.
func rememberLanguage(w http.ResponseWriter, r *http.Request, l *locale) {
	http.SetCookie(w, &http.Cookie{Name: LanguageCookie, Value: l.code, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

// withChoices fills the page's language choice: each language links to this page in it.
func (pg loginPage) withChoices(l *locale) loginPage {
	pg.Lang = l.code
	for _, code := range []string{"en", "fr"} {
		q := url.Values{"lang": {code}}
		if pg.Next != "/" && pg.Next != "" {
			q.Set("next", pg.Next)
		}
		pg.Choices = append(pg.Choices, loginLanguage{Code: code, Name: languageNames[code], Href: "/login?" + q.Encode(), Current: code == l.code})
	}
	return pg
}

// sentence is a core error's words as a sentence: a capital first, a full stop last.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// loginToken returns the sign-in form's CSRF token, setting the cookie that holds it.
func loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(LoginCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	t := randomToken(32)
	http.SetCookie(w, &http.Cookie{Name: LoginCookie, Value: t, Path: "/login", MaxAge: 12 * 3600, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return t
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	if a, err := s.signedIn(r); err == nil && a != nil {
		redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	l := s.loginLocale(r, r.URL.Query().Get("lang"))
	if _, chosen := locales[r.URL.Query().Get("lang")]; chosen {
		rememberLanguage(w, r, l)
	}
	r = r.WithContext(withLocale(r.Context(), l))
	pg := loginPage{Next: safeNext(r.URL.Query().Get("next")), CSRF: loginToken(w, r)}
	if why, ok := signInEnded[r.URL.Query().Get("ended")]; ok {
		pg.Error = l.T(why)
	}
	s.render(w, r, nil, http.StatusOK, "login", msg("Sign in"), pg.withChoices(l))
}

// handleLogin checks the password, refusing disabled users and too many failures per
// username and per client address, and starts a session.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	username := strings.TrimSpace(strings.ToLower(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := clientIP(r)
	l := s.loginLocale(r, r.PostFormValue("lang"))
	r = r.WithContext(withLocale(r.Context(), l))
	form := loginPage{Username: username, Next: next, CSRF: loginToken(w, r)}.withChoices(l)
	if why := crossSite(r); why != "" {
		s.denyf(w, r, nil, msg("The sign-in form was refused: %s."), why)
		return
	}
	var want string
	if c, err := r.Cookie(LoginCookie); err == nil {
		want = c.Value
	}
	if why := checkToken(r.PostFormValue("csrf"), want, "this browser's sign-in form"); why != "" {
		s.auditLogin(r, username, "refused: "+why)
		form.Error = l.T("The sign-in form was refused: %s. Sign in again from this page.", l.T(why))
		s.render(w, r, nil, http.StatusForbidden, "login", msg("Sign in"), form)
		return
	}
	reservation, wait, err := s.limiter.attempt(r.Context(), username, ip)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if wait > 0 {
		s.auditLogin(r, username, "refused: too many failed attempts")
		form.Error = l.T("Too many failed sign-in attempts. Try again in %s.", l.Wait(wait))
		s.render(w, r, nil, http.StatusTooManyRequests, "login", msg("Sign in"), form)
		return
	}
	u, err := s.Node.Store.UserByUsername(r.Context(), username)
	switch {
	case forewarn.ErrorCode(err) == forewarn.ENOTFOUND || username == "":
		app.CheckPassword(dummyHash(), password)
		err = forewarn.Errorf(forewarn.EUNAUTHORIZED, "wrong username or password")
	case err != nil:
		s.fail(w, r, nil, err)
		return
	case !app.CheckPassword(u.PasswordHash, password):
		err = forewarn.Errorf(forewarn.EUNAUTHORIZED, "wrong username or password")
	case u.Disabled:
		err = forewarn.Errorf(forewarn.EUNAUTHORIZED, "this account is disabled; ask an administrator")
	}
	if err != nil {
		s.auditLogin(r, username, forewarn.ErrorMessage(err))
		form.Error = sentence(l.errorText(err))
		s.render(w, r, nil, http.StatusUnauthorized, "login", msg("Sign in"), form)
		return
	}
	if err := s.limiter.succeeded(r.Context(), reservation, username, ip); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	secret := randomToken(32)
	sess := &forewarn.Session{Hash: app.HashSecret(secret), Username: u.Username, CSRF: randomToken(32),
		ExpiresAt: s.Node.Clock.Now().Add(s.SessionTTL)}
	if err := s.Node.Store.CreateSession(r.Context(), forewarn.UserActor(u.Username), sess); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	// No Expires on the cookie: the session ends on the node's clock (which a replay may
	// run years from the wall clock), checked by the server on every request.
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	rememberLanguage(w, r, s.chooseLocale(r, u)) // for the sign-in page, once this session ends
	s.Logger.Info("signed in", "user", u.Username, "from", ip)
	if u.MustChangePassword {
		next = "/password"
	}
	redirect(w, r, next)
}

// auditLogin records a failed or refused sign-in; whatever was typed as the username is
// sanitised and cut, never a reason to drop the entry.
func (s *Server) auditLogin(r *http.Request, username, why string) {
	e := &forewarn.AuditEntry{Actor: forewarn.SystemActor(forewarn.AuditText("web@"+clientIP(r), 200)), Action: "login.failed", ObjectType: "user",
		ObjectID: forewarn.AuditText(username, 64), Detail: forewarn.AuditText(why, 1000)}
	if err := s.Node.Store.RecordAudit(r.Context(), e); err != nil {
		s.Logger.Error("could not audit a failed sign-in", "err", err)
	}
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, a *access) {
	if err := s.Node.Store.DeleteSession(r.Context(), a.Principal.Actor(), a.Session.Hash); err != nil && forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		s.fail(w, r, a, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	redirect(w, r, "/login")
}

type passwordPage struct {
	Required bool
	Errors   map[string]string
	Done     bool
	Tokens   int // the user's live API tokens, which a password change offers to revoke
	Revoked  int
}

// liveTokens counts the user's tokens that still work.
func (s *Server) liveTokens(r *http.Request, username string) int {
	ts, err := s.Node.Store.Tokens(r.Context(), username)
	if err != nil {
		s.Logger.Error("count tokens", "user", username, "err", err)
		return 0
	}
	n := 0
	for _, t := range ts {
		if t.RevokedAt.IsZero() && !t.Expired(s.Node.Clock.Now()) {
			n++
		}
	}
	return n
}

func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request, a *access) {
	pg := passwordPage{Required: a.User.MustChangePassword, Done: r.URL.Query().Get("done") == "1",
		Tokens: s.liveTokens(r, a.User.Username)}
	pg.Revoked, _ = strconv.Atoi(r.URL.Query().Get("revoked"))
	s.render(w, r, a, http.StatusOK, "password", msg("Change password"), pg)
}

// handlePassword sets a new password after checking the current one.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request, a *access) {
	pg := passwordPage{Required: a.User.MustChangePassword, Errors: map[string]string{}, Tokens: s.liveTokens(r, a.User.Username)}
	cur, nw, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("again")
	// A stolen session must not become a way to guess the password: the same limit as
	// signing in applies to checking the current one.
	reservation, wait, err := s.limiter.attempt(r.Context(), a.User.Username, clientIP(r))
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if wait > 0 {
		pg.Errors["current"] = localeOf(r.Context()).T("Too many wrong passwords. Try again in %s.", localeOf(r.Context()).Wait(wait))
		s.render(w, r, a, http.StatusTooManyRequests, "password", msg("Change password"), pg)
		return
	}
	checked := app.CheckPassword(a.User.PasswordHash, cur)
	if checked {
		if err := s.limiter.succeeded(r.Context(), reservation, a.User.Username, clientIP(r)); err != nil {
			s.fail(w, r, a, err)
			return
		}
	}
	switch {
	case !checked:
		pg.Errors["current"] = msg("This is not your current password.")
	case nw != again:
		pg.Errors["again"] = msg("The two new passwords differ.")
	case nw == cur:
		pg.Errors["new"] = msg("Choose a password different from the current one.")
	}
	if len(pg.Errors) == 0 {
		hash, err := app.HashPassword(nw)
		if err != nil {
			pg.Errors["new"] = errText(r.Context(), err)
		} else {
			u := *a.User
			u.PasswordHash, u.MustChangePassword = hash, false
			if err := s.Node.Store.UpdateUser(r.Context(), a.Principal.Actor(), &u); err != nil {
				s.fail(w, r, a, err)
				return
			}
			// Whoever else was signed in as this user, with the old password, is not now.
			if _, err := s.Node.Store.EndSessions(r.Context(), a.Principal.Actor(), u.Username, a.Session.Hash); err != nil {
				s.fail(w, r, a, err)
				return
			}
			done := "/password?done=1"
			if r.PostFormValue("revoke_tokens") != "" {
				n, err := s.Node.Store.RevokeTokens(r.Context(), a.Principal.Actor(), u.Username)
				if err != nil {
					s.fail(w, r, a, err)
					return
				}
				done += "&revoked=" + strconv.Itoa(n)
			}
			redirect(w, r, done)
			return
		}
	}
	s.render(w, r, a, http.StatusBadRequest, "password", msg("Change password"), pg)
}

// handleHome sends each user to the first page their roles open.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, a *access) {
	for _, n := range nav {
		if a.Principal.Can(n.perm) {
			redirect(w, r, n.href)
			return
		}
	}
	redirect(w, r, "/password")
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	// Only a path on this node: no scheme, no host, and nothing a browser would strip or
	// turn into one ("/\t/evil.example" becomes "//evil.example" once the tab is dropped).
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\") || strings.IndexFunc(next, unicode.IsControl) >= 0 || strings.IndexFunc(next, unicode.IsSpace) >= 0 {
		return "/"
	}
	return next
}

// clientIP is the address the request came from. X-Forwarded-For is ignored on purpose:
// the node is served directly, and a header a client can set must not steer rate limits.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// roundWait says how long to wait, rounded up so a person who waits that long gets in.
func roundWait(d time.Duration) string {
	if d <= time.Minute {
		return fmt.Sprintf("%d seconds", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
}

// Limits of the sign-in limiter. A desk behind one proxy shares an address, so an address
// is refused only after many failures across users; an attacker spread over many
// addresses still meets the per-user count, which tightens every address's allowance for
// that user without refusing a password from an address that has not failed.
const (
	loginMaxPerPair     = 5  // failures for one user from one address before it waits
	loginMaxPerAddress  = 50 // failures from one address, across users
	loginMaxPerUser     = 50 // failures for one user, across addresses, before pairs tighten
	loginTightPerPair   = 1  // a pair's allowance while its user is under attack
	loginMaxUsernameLen = 64 // the longest username a user may have (forewarn.User)
)

// loginLimiter counts failed sign-ins in a sliding window on the wall clock, which a
// replay or a frozen demo clock does not move: per (user, address) for lockout, per
// address and per user separately. The failures are kept in the store
// (Store.ReserveLoginAttempt), never in memory, so two servers of one node on one
// database hold one count: an attacker gets no more attempts by trying both.
type loginLimiter struct {
	store  forewarn.AuthStore
	now    func() time.Time
	window time.Duration
}

func newLoginLimiter(store forewarn.AuthStore, now func() time.Time, window time.Duration) *loginLimiter {
	return &loginLimiter{store: store, now: now, window: window}
}

// limiterUser is the username as the limiter keys it: anything no user could be named
// counts under one key, so a megabyte-long name costs no more than a short one.
func limiterUser(username string) string {
	if len(username) > loginMaxUsernameLen || !forewarn.ValidUsername(username) {
		return "(invalid)"
	}
	return username
}

// loginKeys returns the limiter's keys for a sign-in: the user from the address, the
// address, the user.
func loginKeys(username, ip string) []string {
	u := limiterUser(username)
	return []string{"pair " + u + " " + ip, "address " + ip, "user " + u}
}

// decideLogin says how long an attempt must wait, given the recent failures under each
// of loginKeys (oldest first): a pair or an address over its limit waits until its
// oldest counted failure leaves the window; a pair's limit tightens while its user is
// under attack from many addresses.
func decideLogin(recent [][]time.Time, now time.Time, window time.Duration) time.Duration {
	perPair := loginMaxPerPair
	if len(recent[2]) >= loginMaxPerUser {
		perPair = loginTightPerPair
	}
	var wait time.Duration
	for i, max := range []int{perPair, loginMaxPerAddress} {
		if fs := recent[i]; len(fs) >= max {
			if w := fs[len(fs)-max].Add(window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// attempt reserves a sign-in attempt: it counts as a failure from the start, so parallel
// guesses, on this server or another, cannot all pass the check before any failure is
// recorded. When the user is locked out from this address, or the address is, it reserves
// nothing and returns how long until they may try again. The reservation is for
// succeeded.
func (l *loginLimiter) attempt(ctx context.Context, username, ip string) (string, time.Duration, error) {
	now := l.now()
	return l.store.ReserveLoginAttempt(ctx, loginKeys(username, ip), now, l.window, func(recent [][]time.Time) time.Duration {
		return decideLogin(recent, now, l.window)
	})
}

// succeeded takes back the attempt reserved for a sign-in that proved the password, and
// clears the pair's failures.
func (l *loginLimiter) succeeded(ctx context.Context, reservation, username, ip string) error {
	return l.store.ReleaseLoginAttempt(ctx, reservation, loginKeys(username, ip)[:1])
}
