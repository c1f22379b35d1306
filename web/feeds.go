package web

import (
	"net/http"

	"github.com/forewarn/forewarn"
)

type feedsPage struct {
	Feeds     []*forewarn.Feed
	Unhealthy int
}

// handleFeeds shows the partners' TAXII collections this node polls, with their health:
// a feed that answers garbage, an error or nothing in time is marked unhealthy, with why.
func (s *Server) handleFeeds(w http.ResponseWriter, r *http.Request, a *access) {
	feeds, err := s.Node.Store.Feeds(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg := feedsPage{Feeds: feeds}
	for _, f := range feeds {
		if !f.Healthy() {
			pg.Unhealthy++
		}
	}
	s.render(w, r, a, http.StatusOK, "feeds", msg("Feeds"), pg)
}
