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
	return s.consultPurpose(w, r, a, "message.read", "message", id, "/messages/"+id+messageAnchor(r))
}

// messageAnchor is the part of a message page a link asked for (the match to review,
// the acknowledgement form), which the purpose prompt's answer opens at: the fragment of
// the link that led to the prompt never reaches the server, so the link says it again.
func messageAnchor(r *http.Request) string {
	if id := r.FormValue("review"); looksLikeID(id) {
		return "#match-" + id
	}
	if r.FormValue("at") == "ack" {
		return "#ack"
	}
	return ""
}

// looksLikeID says whether s could be an ID the node made (forewarn.NewID): hex digits
// and dashes, so it may go into a URL or an attribute as it is.
func looksLikeID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
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
		s.promptPurpose(w, r, a, action, http.StatusBadRequest, errText(r.Context(), err))
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

// listPurpose is why the user opens a list that shows persons' names (the matches, the
// subjects, the persons the inbox's messages are matched to). A list is how a person finds
// their way to a record, so it is never refused: without a purpose, when the node's policy
// asks for one first (as for search), it shows no names, and its filter form carries the
// purpose fields.
type listPurpose struct {
	Form     *purposeForm     // the purpose fields, when the node asks for a purpose first
	Given    forewarn.Purpose // the purpose the list was opened for, if any
	Withheld bool             // the list shows no names
}

// listConsult returns the request's context carrying why the user opens the list: the
// purpose the request gives, or the one they gave for the same list (auditAction) within
// app.RememberFor. action is the list's page, where the purpose fields send their answer.
func (s *Server) listConsult(r *http.Request, a *access, auditAction, objectType, action string) (context.Context, listPurpose, error) {
	ctx := r.Context()
	var lp listPurpose
	policy, err := s.Node.Store.PurposePolicy(ctx)
	if err != nil {
		return ctx, lp, err
	}
	if policy.SearchNeedsPurpose {
		f, err := s.newPurposeForm(ctx, r, a, action)
		if err != nil {
			return ctx, lp, err
		}
		lp.Form = &f
	}
	pu := forewarn.Purpose{Code: r.FormValue("purpose"), Text: r.FormValue("purpose_text")}
	switch {
	case pu.Code != "" || pu.Text != "":
		c, err := s.Node.Consult(ctx, pu)
		if err != nil && lp.Form != nil {
			lp.Form.Error = forewarn.ErrorMessage(err)
		} else if err == nil {
			ctx = c
		}
	case r.FormValue("ask") == "":
		remembered, ok, err := s.Node.RememberedPurposeFor(ctx, a.Principal.Username, auditAction, objectType, "")
		if err != nil {
			return ctx, lp, err
		}
		if ok {
			if c, err := s.Node.Consult(ctx, remembered); err == nil {
				ctx = c
			}
		}
	}
	lp.Given, _ = forewarn.PurposeFrom(ctx)
	lp.Withheld, err = s.Node.SearchDetailsWithheld(ctx)
	return ctx, lp, err
}
