package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

func (s *Server) handleAddPeer(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var peer forewarn.Peer
	if err := decodeJSON(r, &peer); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := forewarn.CheckPeerURL(peer.BaseURL, s.AllowInsecurePeers); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.Store.AddPeer(r.Context(), p.Actor(), &peer); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, peer)
}

func (s *Server) handleRemovePeer(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if err := s.Node.Store.RemovePeer(r.Context(), p.Actor(), r.PathValue("code")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	users, err := s.Node.Store.Users(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[*forewarn.User]{Items: nonNil(users), Total: len(users), Limit: len(users)})
}

// newUser is the body of POST /api/v1/users.
type newUser struct {
	Username    string          `json:"username"`
	DisplayName string          `json:"display_name"`
	Roles       []forewarn.Role `json:"roles"`
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body newUser
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	password := app.NewPassword()
	hash, err := app.HashPassword(password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u := &forewarn.User{Username: body.Username, DisplayName: body.DisplayName, Roles: body.Roles, PasswordHash: hash, MustChangePassword: true}
	if err := s.Node.Store.CreateUser(r.Context(), p.Actor(), u); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u, "one_time_password": password})
}

// newToken is the body of POST /api/v1/tokens.
type newToken struct {
	Username string        `json:"username"` // the caller's own; no one mints tokens for others
	Role     forewarn.Role `json:"role"`
	Name     string        `json:"name"`
	Days     int           `json:"days"` // how long it lasts; 0 means the default, 90
	// Program makes a token for another program: the API gives it only what handling
	// marks let out to programs (no TLP:RED). A program's token makes program tokens only.
	Program bool `json:"program,omitempty"`
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body newToken
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Username == "" {
		body.Username = p.Username
	}
	if body.Role == "" && len(p.Roles) == 1 {
		body.Role = p.Roles[0]
	}
	if p.TokenID != "" && !slices.Contains(p.Roles, body.Role) {
		// A token carries one role; it must not mint itself a wider one.
		err := forewarn.Errorf(forewarn.EFORBIDDEN, "a token in the role %s cannot create a token in the role %s; sign in to do that", rolesString(p.Roles), body.Role)
		s.deny(r, p.Username, err)
		s.writeError(w, r, err)
		return
	}
	if body.Username != p.Username {
		// A token for someone else would let its maker act as them, in a role of theirs
		// the maker may not hold, with the trail naming the other user.
		err := forewarn.Errorf(forewarn.EFORBIDDEN, "users create their own tokens only; %s must sign in and create theirs", body.Username)
		s.deny(r, p.Username, err)
		s.writeError(w, r, err)
		return
	}
	ttl, err := app.TokenDays(body.Days)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	newToken := app.NewTokenFor
	if body.Program || p.Program {
		newToken = app.NewProgramToken
	}
	secret, tok, err := newToken(r.Context(), s.Node, p.Actor(), body.Username, body.Role, body.Name, ttl)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "secret": secret})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	id := r.PathValue("id")
	if !p.Can(forewarn.PermManageUsers) {
		own, err := s.Node.Store.Tokens(r.Context(), p.Username)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		mine := false
		for _, t := range own {
			mine = mine || t.ID == id
		}
		if !mine {
			// Whether another user's token exists is none of the caller's business.
			s.writeError(w, r, forewarn.Errorf(forewarn.ENOTFOUND, "you hold no token with id %q", id))
			return
		}
	}
	if err := s.Node.Store.RevokeToken(r.Context(), p.Actor(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	q := r.URL.Query()
	f := forewarn.AuditFilter{ActorID: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object"), Limit: defaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			s.writeError(w, r, forewarn.Invalid("limit", "range", "limit must be 1 to %d", maxLimit))
			return
		}
		f.Limit = n
	}
	if v := q.Get("after_seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, forewarn.Invalid("after_seq", "integer", "after_seq must be a whole number"))
			return
		}
		f.AfterSeq = n
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.writeError(w, r, forewarn.Invalid(name, "rfc3339", "%s must be a time like 2015-06-10T10:00:00Z", name))
				return
			}
			*dst = t
		}
	}
	entries, err := s.Node.Store.AuditEntries(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	next := int64(0)
	if len(entries) > 0 {
		next = entries[len(entries)-1].Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(entries), "next_after_seq": next, "limit": f.Limit})
}

func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	rep, err := s.Node.VerifyAudit(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// SetUserDisabled disables a user (ending their sessions and revoking their tokens, which
// enabling them again does not bring back) or enables them again. An administrator cannot disable themselves: a node must not
// be left without anyone to run it by a slip of the mouse. Shared by the API and the pages.
func SetUserDisabled(r *http.Request, store forewarn.Store, p *forewarn.Principal, username string, disabled bool) error {
	u, err := store.UserByUsername(r.Context(), username)
	if err != nil {
		return err
	}
	if disabled && u.Username == p.Username {
		return forewarn.Invalid("username", "not_self", "you cannot disable your own account")
	}
	if u.Disabled == disabled {
		return nil
	}
	u.Disabled = disabled
	if err := store.UpdateUser(r.Context(), p.Actor(), u); err != nil {
		return err
	}
	if disabled {
		_, err = store.EndSessions(r.Context(), p.Actor(), u.Username, "")
	}
	return err
}

func (s *Server) handleSetUserDisabled(disabled bool) func(http.ResponseWriter, *http.Request, *forewarn.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
		if err := SetUserDisabled(r, s.Node.Store, p, r.PathValue("username"), disabled); err != nil {
			s.writeError(w, r, err)
			return
		}
		u, err := s.Node.Store.UserByUsername(r.Context(), r.PathValue("username"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, u)
	}
}
