package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
)

type auditPage struct {
	Actor, Action, ObjectType, ObjectID string
	Sort                                string // seq (oldest first) or -seq (newest first)
	Headers                             []header
	After                               int64
	Entries                             []*forewarn.AuditEntry
	FirstHref, NextHref, LatestHref     string
	Report                              *app.AuditReport
	Verified                            bool
	Names                               map[string]string // message ID → the message's name
}

// handleAudit shows a page of the audit trail, filtered by actor, action and object.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, a *access) {
	pg, err := s.auditPage(r.Context(), r.URL.Query())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.render(w, r, a, http.StatusOK, "audit", msg("Audit trail"), pg)
}

// handleVerifyAudit checks the whole chain and every signed checkpoint, and shows the result
// above the trail.
func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request, a *access) {
	rep, err := s.Node.VerifyAudit(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg, err := s.auditPage(r.Context(), r.URL.Query())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Report, pg.Verified = rep, true
	s.render(w, r, a, http.StatusOK, "audit", msg("Audit trail"), pg)
}

func (s *Server) auditPage(ctx context.Context, q url.Values) (*auditPage, error) {
	pg := &auditPage{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		ObjectType: strings.TrimSpace(q.Get("object_type")), ObjectID: strings.TrimSpace(q.Get("object_id"))}
	f := forewarn.AuditFilter{ActorID: pg.Actor, Action: pg.Action, ObjectType: pg.ObjectType, ObjectID: pg.ObjectID, Limit: pageSize}
	pg.Sort = q.Get("sort")
	if pg.Sort != "-seq" {
		pg.Sort = "seq"
	}
	if pg.Sort == "-seq" {
		// Newest first pages backwards from the head: "before" is the cursor.
		f.Newest = true
		f.BeforeSeq, _ = strconv.ParseInt(q.Get("before"), 10, 64)
		f.BeforeSeq = max(f.BeforeSeq, 0)
	} else if v := q.Get("after"); v == "latest" {
		after, err := s.latestAuditStart(ctx, f)
		if err != nil {
			return nil, err
		}
		f.AfterSeq = after
	} else {
		f.AfterSeq, _ = strconv.ParseInt(v, 10, 64)
		f.AfterSeq = max(f.AfterSeq, 0)
	}
	pg.After = f.AfterSeq
	es, err := s.Node.Store.AuditEntries(ctx, f)
	if err != nil {
		return nil, err
	}
	pg.Entries = es
	pg.Names = map[string]string{}
	for _, e := range es {
		if e.ObjectType != "message" || pg.Names[e.ObjectID] != "" || !forewarn.IsMessageID(e.ObjectID) {
			continue
		}
		if sm, err := s.Node.Store.Message(ctx, e.ObjectID); err == nil {
			pg.Names[e.ObjectID] = messageName(localeOf(ctx), sm.Message)
		}
	}
	u := &url.URL{Path: "/audit", RawQuery: url.Values{"actor": {pg.Actor}, "action": {pg.Action}, "object_type": {pg.ObjectType}, "object_id": {pg.ObjectID}, "sort": {pg.Sort}}.Encode()}
	pg.Headers = sortHeaders(u, pg.Sort, []column{{Label: msg("Seq"), Key: "seq"}, {Label: msg("Time")}, {Label: msg("Actor")}, {Label: msg("Action")}, {Label: msg("Object")}, {Label: msg("Detail")}})
	if pg.Sort == "-seq" {
		pg.FirstHref = withQuery(u, map[string]string{"sort": "seq", "after": "0"})
		pg.LatestHref = withQuery(u, nil)
		if len(es) == pageSize {
			pg.NextHref = withQuery(u, map[string]string{"before": strconv.FormatInt(es[len(es)-1].Seq, 10)})
		}
		return pg, nil
	}
	pg.FirstHref, pg.LatestHref = withQuery(u, map[string]string{"after": "0"}), withQuery(u, map[string]string{"after": "latest"})
	if len(es) == pageSize {
		pg.NextHref = withQuery(u, map[string]string{"after": strconv.FormatInt(es[len(es)-1].Seq, 10)})
	}
	return pg, nil
}

// latestAuditStart finds where the last page of the filtered trail starts. The store pages
// forward only, so it starts from the last signed checkpoint, which lies at most one
// checkpoint interval from the head, and reads forward from there.
func (s *Server) latestAuditStart(ctx context.Context, f forewarn.AuditFilter) (int64, error) {
	cps, err := s.Node.Store.AuditCheckpoints(ctx)
	if err != nil {
		return 0, err
	}
	var from int64
	if len(cps) > 0 {
		from = cps[len(cps)-1].Seq - pageSize
	}
	f.AfterSeq, f.Limit = max(from, 0), 1000
	var seqs []int64
	for {
		es, err := s.Node.Store.AuditEntries(ctx, f)
		if err != nil {
			return 0, err
		}
		for _, e := range es {
			seqs = append(seqs, e.Seq)
		}
		if len(es) < f.Limit {
			break
		}
		f.AfterSeq = es[len(es)-1].Seq
		if len(seqs) > 10*pageSize {
			seqs = seqs[len(seqs)-pageSize:]
		}
	}
	if len(seqs) <= pageSize {
		return max(from, 0), nil
	}
	return seqs[len(seqs)-pageSize-1], nil
}

type usersPage struct {
	Users    []*forewarn.User
	Roles    []forewarn.Role
	Form     userForm
	Created  *forewarn.User
	Password string // the new user's one-time password, shown once
}

type userForm struct {
	Username, DisplayName string
	Roles                 []string
	Errors                map[string]string
	Error                 string
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, a *access) {
	pg := usersPage{Form: userForm{Errors: map[string]string{}}}
	if f, ok := takeFlash(w, r, a); ok && f.User != "" {
		if u, err := s.Node.Store.UserByUsername(r.Context(), f.User); err == nil {
			pg.Created, pg.Password = u, f.Secret
		}
	}
	s.showUsers(w, r, a, http.StatusOK, pg)
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, a *access, status int, pg usersPage) {
	users, err := s.Node.Store.Users(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Users, pg.Roles = users, forewarn.Roles
	s.render(w, r, a, status, "users", msg("Users"), pg)
}

// handleCreateUser creates an account with a one-time password, shown once, which the
// user must change at first sign-in.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, a *access) {
	f := userForm{Username: strings.TrimSpace(r.PostFormValue("username")), DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
		Roles: r.PostForm["roles"], Errors: map[string]string{}}
	password := app.NewPassword()
	hash, err := app.HashPassword(password)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	u := &forewarn.User{Username: f.Username, DisplayName: f.DisplayName, PasswordHash: hash, MustChangePassword: true}
	for _, role := range f.Roles {
		u.Roles = append(u.Roles, forewarn.Role(role))
	}
	if err := s.Node.Store.CreateUser(r.Context(), a.Principal.Actor(), u); err != nil {
		if fe := fieldError(err); fe != nil && fe.Field != "" {
			key, _, _ := strings.Cut(fe.Field, "[")
			f.Errors[key] = localeOf(r.Context()).fieldErrorText(fe)
		} else {
			f.Error = errText(r.Context(), err)
		}
		s.showUsers(w, r, a, httpStatus(err), usersPage{Form: f})
		return
	}
	setFlash(w, r, a, "/admin/users", flash{User: u.Username, Secret: password})
}

// handleSetUserDisabled disables an account (ending its sessions; its API tokens stop
// working with it) or enables it again.
func (s *Server) handleSetUserDisabled(disabled bool) handler {
	return func(w http.ResponseWriter, r *http.Request, a *access) {
		if err := httpapi.SetUserDisabled(r, s.Node.Store, a.Principal, r.PathValue("username"), disabled); err != nil {
			if fe := fieldError(err); fe != nil || forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
				s.showUsers(w, r, a, httpStatus(err), usersPage{Form: userForm{Errors: map[string]string{}, Error: errText(r.Context(), err)}})
				return
			}
			s.fail(w, r, a, err)
			return
		}
		redirect(w, r, "/admin/users")
	}
}

type peersPage struct {
	Peers []peerView
}

type peerView struct {
	*forewarn.Peer
	Key         string
	Fingerprint string // SHA-256 of the key, short enough to read out on the phone
	Health      *forewarn.PeerHealth
	Now         time.Time
}

// keyFingerprint is the first 16 bytes of the key's SHA-256, in groups of four hex digits.
func keyFingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	h := hex.EncodeToString(sum[:16])
	var parts []string
	for i := 0; i < len(h); i += 4 {
		parts = append(parts, h[i:i+4])
	}
	return "SHA256:" + strings.Join(parts, " ")
}

func (s *Server) handlePeers(w http.ResponseWriter, r *http.Request, a *access) {
	peers, err := s.Node.Store.Peers(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	health, err := s.Node.Store.PeerHealth(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	var pg peersPage
	now := s.Node.Clock.Now()
	for _, p := range peers {
		h := health[p.Agency.Code]
		if h == nil {
			h = &forewarn.PeerHealth{Agency: p.Agency.Code}
		}
		pg.Peers = append(pg.Peers, peerView{Peer: p, Key: peerKey(p.PublicKey), Fingerprint: keyFingerprint(p.PublicKey), Health: h, Now: now})
	}
	s.render(w, r, a, http.StatusOK, "peers", msg("Peers"), pg)
}

type tokensPage struct {
	All        bool // an administrator manages everyone's tokens
	Tokens     []*forewarn.APIToken
	Users      []*forewarn.User
	Roles      []forewarn.Role
	Username   string
	Role       string
	Name       string
	Days       int
	Error      string
	Secret     string // a new token's secret, shown once
	NewToken   *forewarn.APIToken
	NewTokenID string // the token created, handed over by the flash
	RevokedID  string
}

// handleTokens lists API tokens: an administrator's for every user, anyone else's own.
func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request, a *access) {
	pg := tokensPage{RevokedID: r.URL.Query().Get("revoked")}
	if f, ok := takeFlash(w, r, a); ok && f.Token != "" {
		pg.Secret, pg.NewTokenID = f.Secret, f.Token
	}
	s.showTokens(w, r, a, http.StatusOK, pg)
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, a *access, status int, pg tokensPage) {
	ctx := r.Context()
	pg.All = a.Principal.Can(forewarn.PermManageUsers)
	if pg.All {
		users, err := s.Node.Store.Users(ctx)
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		pg.Users = users
	} else {
		pg.Users = []*forewarn.User{a.User}
	}
	for _, u := range pg.Users {
		ts, err := s.Node.Store.Tokens(ctx, u.Username)
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		pg.Tokens = append(pg.Tokens, ts...)
	}
	for _, t := range pg.Tokens {
		if pg.NewTokenID != "" && t.ID == pg.NewTokenID {
			pg.NewToken = t
		}
	}
	pg.Roles = a.User.Roles
	s.render(w, r, a, status, "tokens", msg("API tokens"), pg)
}

// handleCreateToken creates a token for the signed-in user (no one, administrators
// included, makes tokens for others); its secret is shown once and only its hash kept.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request, a *access) {
	pg := tokensPage{Username: a.User.Username, Role: r.PostFormValue("role"), Name: strings.TrimSpace(r.PostFormValue("name"))}
	if u := strings.TrimSpace(r.PostFormValue("username")); u != "" && u != a.User.Username {
		s.denyf(w, r, a, msg("Users create their own API tokens only; %s must sign in and create theirs."), u)
		return
	}
	if pg.Name == "" {
		pg.Error = msg("Say what the token is for, like “cli on liaison desk 2”.")
		s.showTokens(w, r, a, http.StatusBadRequest, pg)
		return
	}
	ttl := time.Duration(0)
	if d := strings.TrimSpace(r.PostFormValue("days")); d != "" {
		n, err := strconv.Atoi(d)
		if err == nil {
			pg.Days = n
			ttl, err = app.TokenDays(n)
		}
		if err != nil || n == 0 {
			pg.Error = localeOf(r.Context()).T("A token lasts 1 to %d days.", int(forewarn.MaxTokenTTL.Hours()/24))
			s.showTokens(w, r, a, http.StatusBadRequest, pg)
			return
		}
	}
	secret, tok, err := app.NewTokenFor(r.Context(), s.Node, a.Principal.Actor(), pg.Username, forewarn.Role(pg.Role), pg.Name, ttl)
	if err != nil {
		pg.Error = errText(r.Context(), err)
		s.showTokens(w, r, a, httpStatus(err), pg)
		return
	}
	setFlash(w, r, a, "/tokens", flash{Token: tok.ID, Secret: secret})
}

// handleRevokeToken revokes a token; users other than administrators only their own.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	if !a.Principal.Can(forewarn.PermManageUsers) {
		ts, err := s.Node.Store.Tokens(r.Context(), a.User.Username)
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		own := false
		for _, t := range ts {
			own = own || t.ID == id
		}
		if !own {
			s.deny(w, r, a, msg("You may revoke only your own API tokens."))
			return
		}
	}
	if err := s.Node.Store.RevokeToken(r.Context(), a.Principal.Actor(), id); err != nil {
		s.showTokens(w, r, a, httpStatus(err), tokensPage{Error: errText(r.Context(), err)})
		return
	}
	redirect(w, r, "/tokens?revoked="+url.QueryEscape(id))
}

// peerKey formats a public key the way peers exchange it (as keyfile does): "ed25519:"
// and base64, so an administrator can compare it with what the CLI printed.
func peerKey(key []byte) string { return "ed25519:" + base64.StdEncoding.EncodeToString(key) }
