package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// Retention (docs/retention.md): the review queue, keeping an item with a reason and a new
// date, and erasing it.

// keepRequest is the body of POST /api/v1/reviews/{kind}/{id}/keep.
type keepRequest struct {
	Until  time.Time `json:"until"` // the new review date
	Reason string    `json:"reason"`
}

// eraseRequest is the body of POST /api/v1/reviews/{kind}/{id}/erase.
type eraseRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) retentionRoutes() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/reviews", Perm: forewarn.PermRetention, Tag: "retention", Summary: "Subjects and received messages by review date, soonest first; due=true lists those due now",
			Query: append([]string{"kind", "due"}, pageQuery...), Response: "ReviewPage", handler: s.handleListReviews},
		{Method: "POST", Path: "/api/v1/reviews/{kind}/{id}/keep", Perm: forewarn.PermRetention, Tag: "retention", Summary: "Keep a subject or received message at its review (or move its review date): a reason and a later date are required",
			Request: "KeepRequest", Response: "Review", handler: s.handleKeep},
		{Method: "POST", Path: "/api/v1/reviews/{kind}/{id}/erase", Perm: forewarn.PermRetention, Tag: "retention", Summary: "Erase a subject (with every person confirmed to be him) or a received message's persons and text; answers with the tombstone",
			Request: "EraseRequest", Response: "Tombstone", handler: s.handleErase},
	}
}

func (s *Server) handleListReviews(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	offset, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := forewarn.ReviewFilter{Kind: forewarn.RetentionKind(q.Get("kind")), Offset: offset, Limit: limit}
	if v := q.Get("due"); v != "" {
		due, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, r, forewarn.Invalid("due", "bool", "due is true or false, not %q", v))
			return
		}
		if due {
			f.DueBy = s.Node.Clock.Now()
		}
	}
	if _, err := s.Node.Store.AssignReviews(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.Node.Store.Reviews(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[*forewarn.Review]{Items: list, Total: total, Offset: offset, Limit: limit})
}

func (s *Server) handleKeep(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	kind, err := app.ParseRetentionKind(r.PathValue("kind"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req keepRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	rv, err := s.Messages.KeepItem(r.Context(), p, kind, r.PathValue("id"), req.Until, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

func (s *Server) handleErase(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	kind, err := app.ParseRetentionKind(r.PathValue("kind"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req eraseRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.Messages.EraseItem(r.Context(), p, kind, r.PathValue("id"), req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}
