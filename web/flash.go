package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// A form that creates something with a secret shown once (a user's one-time password, an
// API token) posts, redirects and shows (POST/redirect/GET), so reloading the page never
// creates a second one. The secret crosses the redirect in a flash: a cookie scoped to the
// page that shows it, HttpOnly, SameSite=Strict, alive a minute, tied to the session, and
// cleared by the first page that reads it — never in the URL, never in the store (which
// keeps only the token's hash), and not in one server's memory, so it shows whichever of a
// node's servers answers the redirect. A reload finds it gone and shows the list alone.

// flashCookie is the name of the flash's cookie.
const flashCookie = "forewarn_flash"

// flash is what a creating form hands the page it redirects to.
type flash struct {
	Session string `json:"s"`           // the first characters of the session's hash: another session never reads it
	User    string `json:"u,omitempty"` // the user created
	Token   string `json:"t,omitempty"` // the token created
	Secret  string `json:"x"`
}

func sessionTag(a *access) string {
	if a.Session == nil || len(a.Session.Hash) < 16 {
		return ""
	}
	return a.Session.Hash[:16]
}

// setFlash hands f to the page at path and redirects there.
func setFlash(w http.ResponseWriter, r *http.Request, a *access, path string, f flash) {
	f.Session = sessionTag(a)
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: path, MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	redirect(w, r, path)
}

// takeFlash returns the flash handed to this page, if any, and clears it: it shows once.
func takeFlash(w http.ResponseWriter, r *http.Request, a *access) (flash, bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: r.URL.Path, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	var f flash
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &f) != nil || f.Session == "" || f.Session != sessionTag(a) {
		return flash{}, false
	}
	return f, true
}
