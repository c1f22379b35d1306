package httpapi

import (
	"fmt"
	"net/http"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

func (s *Server) handleListMatches(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	offset, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := forewarn.MatchFilter{SubjectID: q.Get("subject"), MessageID: q.Get("message"), Status: forewarn.MatchStatus(q.Get("status")), Offset: offset, Limit: limit}
	switch f.Status {
	case "", forewarn.MatchPending, forewarn.MatchConfirmed, forewarn.MatchRejected:
	default:
		s.writeError(w, r, forewarn.Invalid("status", "enum", "status must be pending, confirmed or rejected"))
		return
	}
	list, total, err := s.Node.Store.Matches(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	withhold, err := s.Node.SearchDetailsWithheld(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var ids []string
	if withhold {
		list = app.WithholdMatchDetails(list) // no one named: no consultation to record
	} else {
		for _, m := range list {
			ids = append(ids, m.ID)
		}
	}
	if err := s.Node.AuditShown(r.Context(), p.Actor(), "match.list", "match", ids, "matches listed, with the persons and subjects they pair"); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := page[*forewarn.Match]{Items: nonNil(list), Total: total, Offset: offset, Limit: limit}
	if withhold && len(list) > 0 {
		out.DetailsWithheld = "the matches are listed without their summaries and explanations, which name the persons: give purpose (and purpose_text where it needs one) to see them; GET /api/v1/purposes lists them"
	}
	if g := s.programGate(p); g != nil {
		if out.Withheld, err = g.Matches(r.Context(), list); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetMatch(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	m, err := s.Node.Store.Match(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, ok := forewarn.PurposeFrom(r.Context()); !ok {
		// The answer to a confirmation or rejection, given without a purpose: the decision
		// is in it, not the persons it pairs.
		writeJSON(w, http.StatusOK, app.WithholdMatchDetails([]*forewarn.Match{m})[0])
		return
	}
	if g := s.programGate(p); g != nil {
		// A match names the persons of its message: refused whole, naming the mark.
		for _, id := range []string{m.MessageID, m.EarlierMessageID} {
			refusal, err := g.Refusal(r.Context(), id)
			if err == nil {
				err = refusal
			}
			if err != nil {
				s.writeError(w, r, err)
				return
			}
		}
	}
	if err := s.Node.AuditShown(r.Context(), p.Actor(), "match.read", "match", []string{m.ID}, "the match and its explanation"); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) handleConfirmMatch(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var body reasonBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Messages.ConfirmMatch(r.Context(), p.Actor(), r.PathValue("id"), body.Reason); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.handleGetMatch(w, r, p)
}

func (s *Server) handleRejectMatch(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body reasonBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.Store.RejectMatch(r.Context(), p.Actor(), r.PathValue("id"), body.Reason); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.handleGetMatch(w, r, p)
}

func (s *Server) handleRelated(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if _, err := s.Node.Store.Message(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	rel, err := s.Node.Related(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if withhold, err := s.Node.SearchDetailsWithheld(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	} else if withhold {
		for i, x := range rel {
			rel[i].Message = app.WithholdPersons(&forewarn.StoredMessage{Message: x.Message, Direction: x.Direction}).Message
		}
	}
	if len(rel) > 0 {
		if err := s.Node.AuditShown(r.Context(), p.Actor(), "message.related", "message", []string{r.PathValue("id")}, fmt.Sprintf("%d other messages about the same persons", len(rel))); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if g := s.programGate(p); g != nil {
		if err := g.Related(r.Context(), rel); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(rel)})
}

// draftCheck is the body of POST /api/v1/drafts/check.
type draftCheck struct {
	Persons []forewarn.PersonDescriptor `json:"persons"`
}

func (s *Server) handleDraftCheck(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var body draftCheck
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body.Persons) == 0 || len(body.Persons) > forewarn.MaxPersons {
		s.writeError(w, r, forewarn.Invalid("persons", "range", "give 1 to %d persons", forewarn.MaxPersons))
		return
	}
	hits, err := s.Messages.CheckDraft(r.Context(), p.Actor(), body.Persons)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if g := s.programGate(p); g != nil {
		if err := g.DraftHits(r.Context(), hits); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(hits)})
}
