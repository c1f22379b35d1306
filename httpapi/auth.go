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
func (s *Server) authenticate(r *http.Request) (p *forewarn.Principal, ok bool, err error) {
	if p := PrincipalFrom(r.Context()); p != nil {
		return p, true, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, false, nil
	}
	secret, found := strings.CutPrefix(h, "Bearer ")
	if !found || secret == "" {
		return nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the Authorization header must be 'Bearer TOKEN'")
	}
	tok, err := s.Node.Store.TokenByHash(r.Context(), app.HashSecret(secret))
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token is unknown or revoked")
	}
	if err != nil {
		return nil, true, err
	}
	if tok.Expired(s.Node.Clock.Now()) {
		return nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token expired on %s; create a new one", tok.ExpiresAt.Format(time.RFC3339))
	}
	u, err := s.Node.Store.UserByUsername(r.Context(), tok.Username)
	if err != nil {
		return nil, true, err
	}
	if u.Disabled || !u.HasRole(tok.Role) {
		return nil, true, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token's user is disabled or no longer holds the role %s", tok.Role)
	}
	return &forewarn.Principal{Username: u.Username, Roles: []forewarn.Role{tok.Role}, TokenID: tok.ID}, true, nil
}

// authorized wraps an API handler with authentication and a permission check. A request
// without credentials gets 401, one whose roles lack the permission 403; every refusal is
// recorded in the audit trail.
func (s *Server) authorized(perm forewarn.Permission, h func(http.ResponseWriter, *http.Request, *forewarn.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.authenticate(r)
		switch {
		case err != nil:
			s.deny(r, "", err)
			s.writeError(w, r, err)
			return
		case !ok:
			err := forewarn.Errorf(forewarn.EUNAUTHORIZED, "sign in or send an API token (Authorization: Bearer TOKEN)")
			s.deny(r, "", err)
			s.writeError(w, r, err)
			return
		case !p.Can(perm):
			err := forewarn.Errorf(forewarn.EFORBIDDEN, "your role (%s) does not allow %s", rolesString(p.Roles), perm)
			s.deny(r, p.Username, err)
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(WithPrincipal(r.Context(), p)), p)
	}
}

// deny records a refused request in the audit trail.
func (s *Server) deny(r *http.Request, username string, cause error) {
	actor := forewarn.SystemActor("anonymous@" + hostOnly(r.RemoteAddr))
	if username != "" {
		actor = forewarn.UserActor(username)
	}
	e := &forewarn.AuditEntry{Actor: actor, Action: "access.denied", ObjectType: "route", ObjectID: r.Method + " " + r.URL.Path, Detail: forewarn.ErrorMessage(cause)}
	if err := s.Node.Store.RecordAudit(r.Context(), e); err != nil {
		s.Logger.Error("could not audit a denied request", "err", err)
	}
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
