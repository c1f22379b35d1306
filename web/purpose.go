package web

import (
	"context"
	"net/http"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// purposeForm is the purpose prompt: the node's purposes, the one chosen (or the role's
// default, pre-selected), and where the form goes with what it carries along.
type purposeForm struct {
	Options  []forewarn.PurposeOption
	Chosen   string
	Text     string
	Error    string
	Action   string            // the page to open once a purpose is given
	Carry    map[string]string // hidden fields kept (a search's name and birth date)
	Remember int               // for how many minutes the purpose is remembered (0: it is not)
	Button   string
}

// purposePage is the prompt shown before a person's record opens: it names no one.
type purposePage struct {
	Form purposeForm
}

// newPurposeForm fills the form from the node's policy, with the purpose the request gave
// or else the default of the user's role chosen.
func (s *Server) newPurposeForm(ctx context.Context, r *http.Request, a *access, action string) (purposeForm, error) {
	policy, err := s.Node.Store.PurposePolicy(ctx)
	if err != nil {
		return purposeForm{}, err
	}
	f := purposeForm{Options: policy.Options, Chosen: r.FormValue("purpose"), Text: r.FormValue("purpose_text"), Action: action, Carry: map[string]string{}}
	if f.Chosen == "" {
		f.Chosen = policy.Default(a.Principal.Roles)
	}
	return f, nil
}

// subjectPurpose returns the request's context carrying why the user opens subject id: the
// purpose the request gives (the prompt's answer), or the one the user gave for it within
// app.RememberFor ("ask" in the request asks again). action is the page the prompt's
// answer opens. When there is neither, or the one given is wrong, it shows the prompt
// (naming no one) and returns ok false.
func (s *Server) subjectPurpose(w http.ResponseWriter, r *http.Request, a *access, id, action string) (context.Context, forewarn.Purpose, bool) {
	return s.consultPurpose(w, r, a, "subject.read", "subject", id, action)
}

// messagePurpose is subjectPurpose for a received message that names persons: the purpose
// is remembered from the message.read entry that recorded it.
func (s *Server) messagePurpose(w http.ResponseWriter, r *http.Request, a *access, id string) (context.Context, forewarn.Purpose, bool) {
	return s.consultPurpose(w, r, a, "message.read", "message", id, "/messages/"+id)
}

// consultPurpose is subjectPurpose for a consultation audited as auditAction on the object.
func (s *Server) consultPurpose(w http.ResponseWriter, r *http.Request, a *access, auditAction, objectType, id, action string) (context.Context, forewarn.Purpose, bool) {
	ctx := r.Context()
	pu := forewarn.Purpose{Code: r.FormValue("purpose"), Text: r.FormValue("purpose_text")}
	given := pu.Code != "" || pu.Text != ""
	if !given && r.FormValue("ask") == "" {
		remembered, ok, err := s.Node.RememberedPurposeFor(ctx, a.Principal.Username, auditAction, objectType, id)
		if err != nil {
			s.fail(w, r, a, err)
			return nil, pu, false
		}
		if ok {
			if c, err := s.Node.Consult(ctx, remembered); err == nil {
				return c, remembered, true
			}
		}
	}
	if given {
		c, err := s.Node.Consult(ctx, pu)
		if err == nil {
			p, _ := forewarn.PurposeFrom(c)
			return c, p, true
		}
		s.promptPurpose(w, r, a, action, http.StatusBadRequest, forewarn.ErrorMessage(err))
		return nil, pu, false
	}
	s.promptPurpose(w, r, a, action, http.StatusOK, "")
	return nil, pu, false
}

// promptPurpose shows the purpose prompt for the page asked for.
func (s *Server) promptPurpose(w http.ResponseWriter, r *http.Request, a *access, action string, status int, problem string) {
	f, err := s.newPurposeForm(r.Context(), r, a, action)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if r.Method == http.MethodGet {
		for k, vs := range r.URL.Query() {
			if k != "purpose" && k != "purpose_text" && k != "ask" && len(vs) > 0 {
				f.Carry[k] = vs[0]
			}
		}
	}
	f.Error, f.Remember, f.Button = problem, int(app.RememberFor.Minutes()), msg("Open the record")
	s.render(w, r, a, status, "purpose", msg("Why are you opening this record?"), purposePage{Form: f})
}
