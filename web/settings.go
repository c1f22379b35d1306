package web

import (
	"net/http"
	"strings"

	"github.com/forewarn/forewarn"
)

// settingsPage is the user's own settings: the language the pages speak to them, and the
// way to their password, e-mail and tokens.
type settingsPage struct {
	Language  string // the user's choice; "" follows the node, then the browser
	Languages []languageChoice
	Saved     bool
	Error     string
}

type languageChoice struct{ Code, Name string }

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request, a *access) {
	s.showSettings(w, r, a, http.StatusOK, a.User.Language, r.URL.Query().Get("saved") == "1", "")
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, a *access, status int, lang string, saved bool, errText string) {
	pg := settingsPage{Language: lang, Saved: saved, Error: errText}
	for _, code := range forewarn.Languages {
		pg.Languages = append(pg.Languages, languageChoice{code, languageNames[code]})
	}
	s.render(w, r, a, status, "settings", msg("Your settings"), pg)
}

// handleSaveSettings stores the user's language (audited as a user.update) and shows the
// pages in it from the next one on.
func (s *Server) handleSaveSettings(w http.ResponseWriter, r *http.Request, a *access) {
	lang := strings.TrimSpace(r.PostFormValue("language"))
	if !forewarn.ValidLanguage(lang) {
		s.showSettings(w, r, a, http.StatusBadRequest, a.User.Language, false, msg("Choose one of the languages listed."))
		return
	}
	u := *a.User
	u.Language = lang
	if err := s.Node.Store.UpdateUser(r.Context(), a.Principal.Actor(), &u); err != nil {
		s.fail(w, r, a, err)
		return
	}
	rememberLanguage(w, r, s.chooseLocale(r, &u))
	redirect(w, r, "/settings?saved=1")
}
