package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// reviewsPage is the review queue (docs/retention.md): what is due for review, with a form
// to keep each (a reason and a new date) or erase it, and what comes up next.
type reviewsPage struct {
	Due, Upcoming []*forewarn.Review
	DueTotal      int
	// Default is the new review date the keep forms propose: six months ahead.
	Default string
	Today   string
	// Failed names the item whose form was refused, with why, and what was typed.
	Failed, Error, Reason, Until string
	Done                         string // "kept" or "erased", after a redirect
	// DueCards and SelectedCards are what the page shows, each with its forms.
	DueCards, SelectedCards []reviewCard
	// Selected is the item asked for (?subject=ID or ?message=ID), whatever its date, so
	// its review date can be changed, with a reason, before it is due.
	Selected *forewarn.Review
}

// reviewCard is one item with its keep and erase forms.
type reviewCard struct {
	Review                     *forewarn.Review
	CSRF, Today, Until, Reason string
}

func (s *Server) handleReviews(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	pg := reviewsPage{Done: q.Get("done")}
	if _, err := s.Node.Store.AssignReviews(r.Context()); err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, k := range []forewarn.RetentionKind{forewarn.RetainSubject, forewarn.RetainMessage} {
		if id := q.Get(string(k)); id != "" {
			rv, err := s.Node.Store.Review(r.Context(), k, id)
			if err != nil {
				s.fail(w, r, a, err)
				return
			}
			pg.Selected = rv
		}
	}
	s.showReviews(w, r, a, http.StatusOK, pg)
}

func (s *Server) showReviews(w http.ResponseWriter, r *http.Request, a *access, status int, pg reviewsPage) {
	ctx := r.Context()
	now := s.Node.Clock.Now()
	if _, err := s.Node.Store.AssignReviews(ctx); err != nil {
		s.fail(w, r, a, err)
		return
	}
	var err error
	if pg.Due, pg.DueTotal, err = s.Node.Store.Reviews(ctx, forewarn.ReviewFilter{DueBy: now, Limit: 100}); err != nil {
		s.fail(w, r, a, err)
		return
	}
	if pg.Selected == nil && pg.Failed != "" {
		// A refused form on an item not due: show it again with its form.
		if k, id, ok := strings.Cut(pg.Failed, "/"); ok {
			if rv, err := s.Node.Store.Review(ctx, forewarn.RetentionKind(k), id); err == nil && rv.ReviewAt.After(now) {
				pg.Selected = rv
			}
		}
	}
	next, _, err := s.Node.Store.Reviews(ctx, forewarn.ReviewFilter{Limit: 100 + len(pg.Due)})
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, rv := range next {
		if rv.ReviewAt.After(now) && len(pg.Upcoming) < 20 {
			pg.Upcoming = append(pg.Upcoming, rv)
		}
	}
	pg.Default, pg.Today = now.AddDate(0, 6, 0).Format(time.DateOnly), now.Format(time.DateOnly)
	csrf := ""
	if a.Session != nil {
		csrf = a.Session.CSRF
	}
	card := func(rv *forewarn.Review) reviewCard {
		c := reviewCard{Review: rv, CSRF: csrf, Today: pg.Today, Until: pg.Default}
		if pg.Failed == string(rv.Kind)+"/"+rv.ObjectID {
			c.Until, c.Reason = pg.Until, pg.Reason
		}
		return c
	}
	for _, rv := range pg.Due {
		pg.DueCards = append(pg.DueCards, card(rv))
	}
	if pg.Selected != nil {
		pg.SelectedCards = []reviewCard{card(pg.Selected)}
	}
	s.render(w, r, a, status, "reviews", msg("Reviews"), pg)
}

// handleKeepItem keeps an item with the form's reason and date.
func (s *Server) handleKeepItem(w http.ResponseWriter, r *http.Request, a *access) {
	kind, id := r.PathValue("kind"), r.PathValue("id")
	pg := reviewsPage{Failed: kind + "/" + id, Reason: r.PostFormValue("reason"), Until: r.PostFormValue("until")}
	err := s.retentionReady()
	var k forewarn.RetentionKind
	if err == nil {
		k, err = app.ParseRetentionKind(kind)
	}
	var until time.Time
	if err == nil {
		if until, err = time.Parse(time.DateOnly, pg.Until); err != nil {
			err = forewarn.Invalid("until", "date", "the new review date is a date, YYYY-MM-DD")
		}
	}
	if err == nil {
		_, err = s.Messages.KeepItem(r.Context(), a.Principal, k, id, until, pg.Reason)
	}
	if err != nil {
		s.refuseReview(w, r, a, pg, err)
		return
	}
	redirect(w, r, "/reviews?done=kept")
}

// handleEraseItem erases an item for the form's reason.
func (s *Server) handleEraseItem(w http.ResponseWriter, r *http.Request, a *access) {
	kind, id := r.PathValue("kind"), r.PathValue("id")
	pg := reviewsPage{Failed: kind + "/" + id, Reason: r.PostFormValue("reason")}
	err := s.retentionReady()
	var k forewarn.RetentionKind
	if err == nil {
		k, err = app.ParseRetentionKind(kind)
	}
	if err == nil {
		_, err = s.Messages.EraseItem(r.Context(), a.Principal, k, id, pg.Reason)
	}
	if err != nil {
		s.refuseReview(w, r, a, pg, err)
		return
	}
	redirect(w, r, "/reviews?done=erased")
}

func (s *Server) retentionReady() error {
	if s.Messages == nil {
		return forewarn.Errorf(forewarn.EINVALID, "%s", msg("This node does not exchange messages."))
	}
	return nil
}

func (s *Server) refuseReview(w http.ResponseWriter, r *http.Request, a *access, pg reviewsPage, err error) {
	if c := forewarn.ErrorCode(err); c != forewarn.EINVALID && c != forewarn.ENOTFOUND && c != forewarn.ECONFLICT {
		s.fail(w, r, a, err)
		return
	}
	pg.Error = errText(r.Context(), err)
	s.showReviews(w, r, a, httpStatus(err), pg)
}
