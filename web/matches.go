package web

import (
	"net/http"
	"strconv"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// matchesPage is the list of matches an analyst reviews: every match the node found, the
// ones waiting for review first by default, sortable by date and score.
type matchesPage struct {
	Rows    []matchRow
	Total   int
	Status  string
	Sort    string
	Headers []header
	Pager   pager
	Purpose listPurpose // without a purpose the list names no one (web/purpose.go)
}

// matchRow is one match of the list, with the message it was found in.
type matchRow struct {
	matchView
	Message *forewarn.Message // nil when the message is gone (erased)
}

// handleMatches lists matches, filtered by review state and sorted as the URL says. The
// persons' names it shows are an audited read, as on a message page.
func (s *Server) handleMatches(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(offset, 0)
	pg := matchesPage{Status: q.Get("status"), Sort: q.Get("sort")}
	if !q.Has("status") {
		pg.Status = string(forewarn.MatchPending)
	}
	if pg.Sort == "" {
		pg.Sort = string(forewarn.SortMatchNewest)
	}
	ctx, lp, err := s.listConsult(r, a, "match.list", "message", "/matches")
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Purpose = lp
	list, total, err := s.Node.Store.Matches(ctx, forewarn.MatchFilter{Status: forewarn.MatchStatus(pg.Status), Sort: forewarn.MatchSort(pg.Sort), Offset: offset, Limit: pageSize})
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	msgs := map[string]*forewarn.Message{}
	var shown []string
	for _, m := range list {
		sm, ok := msgs[m.MessageID]
		if !ok {
			if st, err := s.Node.Store.Message(ctx, m.MessageID); err == nil {
				sm = st.Message
				shown = append(shown, m.MessageID)
			} else if forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
				s.fail(w, r, a, err)
				return
			}
			msgs[m.MessageID] = sm
		}
		row := matchRow{matchView: viewMatch(m, ""), Message: sm}
		row.PersonName = row.X.Query
		if sm != nil {
			for _, p := range sm.Persons() {
				if p.Ref == m.PersonRef {
					row.PersonName = (&p).DisplayName()
				}
			}
		}
		if lp.Withheld {
			row.PersonName, row.X, row.TargetHref = "", match.Explanation{}, ""
		}
		pg.Rows = append(pg.Rows, row)
	}
	if lp.Withheld {
		shown = nil // no one was named: no consultation to record
	}
	if err := s.Node.AuditShown(ctx, a.Principal.Actor(), "match.list", "message", shown, "the matches list showed the persons of messages"); err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Total = total
	pg.Pager = pageOf(r.URL, offset, len(list), total)
	pg.Headers = sortHeaders(r.URL, pg.Sort, []column{{Label: msg("Score"), Key: "score", First: "-score"}, {Label: msg("Person")}, {Label: msg("Matched with")},
		{Label: msg("In the message")}, {Label: msg("Review")}, {Label: msg("Found"), Key: "created", First: "-created"}})
	s.render(w, r, a, http.StatusOK, "matches", msg("Matches"), pg)
}
