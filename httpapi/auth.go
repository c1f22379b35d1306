package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

type principalKey struct{}

// PrincipalFrom returns the authenticated principal of a request's context, or nil.
func PrincipalFrom(ctx context.Context) *forewarn.Principal {
	p, _ := ctx.Value(principalKey{}).(*forewarn.Principal)
	return p
}

// WithPrincipal returns ctx carrying p; the web pages use it after checking a session.
func WithPrincipal(ctx context.Context, p *forewarn.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// authenticate resolves the request's bearer token to a principal acting in the token's
// one role. ok is false when the request carries no credentials.
// The context returned carries the access version the token was checked at
// (app.Node.WithAccess), for the rest of the request to check against.
func (s *Server) authenticate(r *http.Request) (ctx context.Context, p *forewarn.Principal, ok bool, err error) {
	ctx = r.Context()
	if p := PrincipalFrom(ctx); p != nil {
		return ctx, p, true, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return ctx, nil, false, nil
	}
	secret, found := strings.CutPrefix(h, "Bearer ")
	if !found || secret == "" {
		return ctx, nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the Authorization header must be 'Bearer TOKEN'")
	}
	if ctx, err = s.Node.WithAccess(ctx); err != nil {
		return ctx, nil, true, err
	}
	tok, u, err := s.Node.TokenUser(ctx, app.HashSecret(secret))
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return ctx, nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token is unknown or revoked")
	}
	if err != nil {
		return ctx, nil, true, err
	}
	if tok.Expired(s.Node.Clock.Now()) {
		return ctx, nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token expired on %s; create a new one", tok.ExpiresAt.Format(time.RFC3339))
	}
	if u.Disabled || !u.HasRole(tok.Role) {
		return ctx, nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token's user is disabled or no longer holds the role %s", tok.Role)
	}
	return ctx, &forewarn.Principal{Username: u.Username, Roles: []forewarn.Role{tok.Role}, TokenID: tok.ID, Program: tok.Program}, true, nil
}

// authorized wraps an API handler with authentication and a permission check. A request
// without credentials gets 401, one whose roles lack the permission 403; every refusal is
// recorded in the audit trail (an anonymous flood as a count, and answered 429).
func (s *Server) authorized(perm forewarn.Permission, h func(http.ResponseWriter, *http.Request, *forewarn.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, p, ok, err := s.authenticate(r)
		switch {
		case err != nil:
			s.refuse(w, r, "", err)
			return
		case !ok:
			s.refuse(w, r, "", forewarn.Errorf(forewarn.EUNAUTHORIZED, "sign in or send an API token (Authorization: Bearer TOKEN)"))
			return
		case !p.Can(perm):
			err := forewarn.Errorf(forewarn.EFORBIDDEN, "your role (%s) does not allow %s; a token of a user in the role %s does", rolesString(p.Roles), perm, strings.ReplaceAll(rolesString(forewarn.RolesWith(perm)), ", ", " or "))
			s.refuse(w, r.WithContext(WithPrincipal(ctx, p)), p.Username, err)
			return
		}
		h(w, r.WithContext(WithPrincipal(ctx, p)), p)
	}
}

// refuse audits a refused request and answers it: with cause, or with 429 when an
// anonymous source has been refused too often lately.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, username string, cause error) {
	if s.deny(r, username, cause) {
		s.writeRateLimited(w)
		return
	}
	s.writeError(w, r, cause)
}

// deny records a refused request in the audit trail, its path sanitised and cut so that
// no path is too long or too strange to record. Anonymous refusals go through the node's
// refusal log, which counts a flood instead of writing an entry each; deny reports whether
// the source should now be rate-limited.
func (s *Server) deny(r *http.Request, username string, cause error) (limited bool) {
	e := &forewarn.AuditEntry{Action: "access.denied", ObjectType: "route",
		ObjectID: forewarn.AuditText(r.Method+" "+r.URL.Path, 200), Detail: forewarn.AuditText(forewarn.ErrorMessage(cause), 1000)}
	if username == "" {
		src := hostOnly(r.RemoteAddr)
		e.Actor = forewarn.SystemActor(forewarn.AuditText("anonymous@"+src, 200))
		return s.Node.Refusals.Record(r.Context(), src, e)
	}
	e.Actor = forewarn.UserActor(username)
	if p := PrincipalFrom(r.Context()); p != nil && p.Username == username {
		e.Actor = p.Actor()
	}
	if err := s.Node.Store.RecordAudit(r.Context(), e); err != nil {
		s.Logger.Error("could not audit a denied request", "err", err)
	}
	return false
}

func hostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

func rolesString(rs []forewarn.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
