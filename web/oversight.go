package web

import (
	"net/http"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// oversightPage is the oversight report of a period, for the oversight role.
type oversightPage struct {
	From, To string
	Report   *app.OversightReport
	Sections []oversightSection
}

type oversightSection struct {
	Title  string
	Events []app.OversightEvent
}

// handleOversight shows the oversight report of a period (the last 30 days by default):
// what went to whom under which marks, consultations and their purposes, consent requests
// and answers, overrides (flagged), refusals and erasures, per peer and per user; with
// format=csv, the same report as a CSV download.
func (s *Server) handleOversight(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	now := s.Node.Clock.Now().UTC()
	pg := &oversightPage{From: q.Get("from"), To: q.Get("to")}
	if pg.To == "" {
		pg.To = now.AddDate(0, 0, 1).Format(time.DateOnly)
	}
	if pg.From == "" {
		pg.From = now.AddDate(0, 0, -30).Format(time.DateOnly)
	}
	from, err1 := time.Parse(time.DateOnly, pg.From)
	to, err2 := time.Parse(time.DateOnly, pg.To)
	if err1 != nil || err2 != nil {
		s.fail(w, r, a, forewarn.Invalid("from", "date", "give the period as two dates, YYYY-MM-DD"))
		return
	}
	rep, err := s.Node.OversightReport(r.Context(), a.Principal.Actor(), from, to)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if q.Get("format") == "csv" {
		// The page's download: the same report as the API's CSV, for the signed-in reader
		// (a browser has no API token).
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="oversight-`+pg.From+`-`+pg.To+`.csv"`)
		if err := rep.WriteCSV(w); err != nil {
			s.Logger.Error("oversight report CSV", "err", err)
		}
		return
	}
	pg.Report = rep
	pg.Sections = []oversightSection{{msg("Disclosures"), rep.Disclosures}, {msg("Consent requests and answers"), rep.Consents},
		{msg("Imminent-threat overrides"), rep.Overrides}, {msg("Consultations"), rep.Consultations}, {msg("Refusals"), rep.Refusals}, {msg("Erasures"), rep.Erasures}, {msg("Retention keeps"), rep.Keeps}}
	s.render(w, r, a, http.StatusOK, "oversight", msg("Oversight report"), pg)
}
