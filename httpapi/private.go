package httpapi

import (
	"net/http"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// privateAsk is the body of POST /api/v1/private-queries: whom to ask, about which
// subjects of this node and which persons described as in a draft.
type privateAsk struct {
	Peer       string                      `json:"peer"`
	SubjectIDs []string                    `json:"subject_ids,omitempty"`
	Persons    []forewarn.PersonDescriptor `json:"persons,omitempty"`
}

type privateLimit struct {
	PersonsPerDay int `json:"persons_per_day"`
}

// handlePrivateMatch answers a peer's signed private query or report.
func (s *Server) handlePrivateMatch(w http.ResponseWriter, r *http.Request) {
	s.handleSignedPost(w, r, envelope.MaxPrivateQueryBytes, s.Messages.PrivateMatch)
}

func (s *Server) handleAskPrivately(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var body privateAsk
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	q, err := s.Messages.AskPrivatelyAbout(r.Context(), p.Actor(), body.Peer, body.SubjectIDs, body.Persons)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, q)
}

func (s *Server) handlePrivateQueries(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	dir := forewarn.Direction(r.URL.Query().Get("direction"))
	if dir == "" {
		dir = forewarn.DirectionOut
	}
	if dir != forewarn.DirectionIn && dir != forewarn.DirectionOut {
		s.writeError(w, r, forewarn.Invalid("direction", "enum", "direction is in or out, not %q", dir))
		return
	}
	qs, err := s.Node.Store.PrivateQueries(r.Context(), dir, 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(qs)})
}

func (s *Server) handlePrivateUse(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if s.Messages != nil {
		day = s.Messages.Clock.Now().UTC().Truncate(24 * time.Hour)
	}
	use, err := s.Node.Store.PrivateUse(r.Context(), day)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(use)})
}

func (s *Server) handleSetPrivateLimit(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body privateLimit
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	code := r.PathValue("code")
	if _, err := s.Node.Store.Peer(r.Context(), code); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.Store.SetPrivateLimit(r.Context(), p.Actor(), code, body.PersonsPerDay); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
