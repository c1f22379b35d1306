package httpapi

import (
	"net/http"
	"strconv"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/match"
)

// subjectSaved is the answer to creating or editing a subject: the subject, and every
// earlier message about a matching person ("you were told about this person before").
type subjectSaved struct {
	Subject    *forewarn.Subject    `json:"subject"`
	ToldBefore []app.EarlierMention `json:"told_before"`
}

func (s *Server) handleListSubjects(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	offset, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := forewarn.SubjectFilter{Offset: offset, Limit: limit, Watch: forewarn.WatchStatus(r.URL.Query().Get("watch"))}
	list, total, err := s.Node.Store.FindSubjects(r.Context(), p.Actor(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []*forewarn.Subject{}
	}
	var withheld []app.Withheld
	if g := s.programGate(p); g != nil {
		for _, subj := range list {
			if _, err := g.Subject(r.Context(), subj); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		withheld = g.Withheld()
	}
	out := page[*forewarn.Subject]{Items: list, Total: total, Offset: offset, Limit: limit, Withheld: withheld}
	if withhold, err := s.Node.SearchDetailsWithheld(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	} else if withhold {
		out.Items = app.WithholdSubjects(list)
		out.DetailsWithheld = "the subjects are listed by ID, watch status and dates only: give purpose (and purpose_text where it needs one) to see who they are; GET /api/v1/purposes lists them"
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateSubject(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var subj forewarn.Subject
	if err := decodeJSON(r, &subj); err != nil {
		s.writeError(w, r, err)
		return
	}
	told, err := s.Messages.CreateSubject(r.Context(), p.Actor(), &subj)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if g := s.programGate(p); g != nil {
		if err := g.EarlierMentions(r.Context(), told); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, subjectSaved{Subject: &subj, ToldBefore: nonNil(told)})
}

func (s *Server) handleUpdateSubject(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var subj forewarn.Subject
	if err := decodeJSON(r, &subj); err != nil {
		s.writeError(w, r, err)
		return
	}
	subj.ID = r.PathValue("id")
	told, err := s.Messages.UpdateSubject(r.Context(), p.Actor(), &subj)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if g := s.programGate(p); g != nil {
		if err := g.EarlierMentions(r.Context(), told); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, subjectSaved{Subject: &subj, ToldBefore: nonNil(told)})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) handleGetSubject(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	d, err := s.Node.SubjectDetail(r.Context(), p.Actor(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if g := s.programGate(p); g != nil {
		if err := g.SubjectDetail(r.Context(), d); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	tl, err := s.Node.Timeline(r.Context(), p.Actor(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := map[string]any{"subject_id": r.PathValue("id"), "events": nonNil(tl)}
	if g := s.programGate(p); g != nil {
		if err := g.Timeline(r.Context(), tl); err != nil {
			s.writeError(w, r, err)
			return
		}
		answer["withheld"] = g.Withheld()
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) handleNetwork(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	hops := 2
	if v := r.URL.Query().Get("hops"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, r, forewarn.Invalid("hops", "integer", "hops must be a whole number"))
			return
		}
		hops = n
	}
	net, err := s.Node.Network(r.Context(), p.Actor(), r.PathValue("id"), hops)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if g := s.programGate(p); g != nil {
		if err := g.Network(r.Context(), net); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, net)
}

// claimList is a subject's claims with the conflicts among them.
type claimList struct {
	Items     []*forewarn.Claim   `json:"items"`
	Conflicts []forewarn.Conflict `json:"conflicts"`
	// Withheld, to another program, lists the messages whose claims were left out.
	Withheld []app.Withheld `json:"withheld,omitempty"`
}

func (s *Server) claimList(r *http.Request, p *forewarn.Principal, subjectID string) (*claimList, error) {
	claims, err := s.Node.Store.Claims(r.Context(), subjectID)
	if err != nil {
		return nil, err
	}
	var withheld []app.Withheld
	if g := s.programGate(p); g != nil {
		if claims, withheld, err = g.Claims(r.Context(), claims); err != nil {
			return nil, err
		}
	}
	return &claimList{Items: nonNil(claims), Conflicts: nonNil(forewarn.ClaimConflicts(claims)), Withheld: withheld}, nil
}

func (s *Server) handleListClaims(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	// Reading the subject makes an unknown ID a 404 and audits who looked.
	if _, err := s.Node.Store.Subject(r.Context(), p.Actor(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	cl, err := s.claimList(r, p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cl)
}

func (s *Server) handleCreateClaim(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var c forewarn.Claim
	if err := decodeJSON(r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	c.SubjectID = r.PathValue("id")
	if err := s.Node.Store.CreateClaim(r.Context(), p.Actor(), &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// reasonBody is the body of decisions that need a reason.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) handlePreferClaim(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var body reasonBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.Store.PreferClaim(r.Context(), p.Actor(), r.PathValue("id"), body.Reason); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"claim_id": r.PathValue("id"), "preferred_reason": body.Reason})
}

func (s *Server) handleListLinks(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if _, err := s.Node.Store.Subject(r.Context(), p.Actor(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	links, err := s.Node.Store.Associations(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(links)})
}

func (s *Server) handleCreateLink(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var a forewarn.Association
	if err := decodeJSON(r, &a); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.Store.CreateAssociation(r.Context(), p.Actor(), &a); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	q := r.URL.Query()
	person := match.Person{Names: []string{q.Get("name")}, BirthDate: q.Get("birth_date")}
	if n := q.Get("nationality"); n != "" {
		person.Nationalities = []string{n}
	}
	if person.BirthDate != "" {
		if _, err := forewarn.ParsePartialDate(person.BirthDate); err != nil {
			s.writeError(w, r, forewarn.Invalid("birth_date", "format", "%v", err))
			return
		}
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxSearchResults {
			s.writeError(w, r, forewarn.Invalid("limit", "range", "limit must be 1 to %d", app.MaxSearchResults))
			return
		}
		limit = n
	}
	minScore := 0.5
	if v := q.Get("min_score"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			s.writeError(w, r, forewarn.Invalid("min_score", "range", "min_score must be between 0 and 1"))
			return
		}
		minScore = f
	}
	res, err := s.Node.Search(r.Context(), p.Actor(), person, limit, minScore)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := map[string]any{"items": nonNil(res), "threshold": match.DefaultThreshold}
	if g := s.programGate(p); g != nil {
		if err := g.SearchResults(r.Context(), res); err != nil {
			s.writeError(w, r, err)
			return
		}
		answer["withheld"] = g.Withheld()
	}
	withhold, err := s.Node.SearchDetailsWithheld(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if withhold {
		app.WithholdSearchDetails(res)
		answer["details_withheld"] = "the node shows who was found only for a purpose: give purpose (and purpose_text where it needs one); GET /api/v1/purposes lists them"
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) handlePurposes(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	policy, err := s.Node.Store.PurposePolicy(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, policy)
}
