package httpapi

import (
	"net/http"

	"github.com/forewarn/forewarn"
)

// purposeUse says whether an endpoint asks why personal data is opened.
type purposeUse int

const (
	purposeNone     purposeUse = iota
	purposeOptional            // recorded when given
	purposeRequired            // refused without one
)

// Where a call gives its purpose: query parameters, or headers for clients that keep
// URLs free of it.
const (
	headerPurpose     = "Forewarn-Purpose"
	headerPurposeText = "Forewarn-Purpose-Text"
)

// requestPurpose is the purpose a call gives, from the query or the headers.
func requestPurpose(r *http.Request) forewarn.Purpose {
	q := r.URL.Query()
	pu := forewarn.Purpose{Code: q.Get("purpose"), Text: q.Get("purpose_text")}
	if pu.Code == "" {
		pu.Code = r.Header.Get(headerPurpose)
	}
	if pu.Text == "" {
		pu.Text = r.Header.Get(headerPurposeText)
	}
	return pu
}

// withPurpose checks the purpose a call gives against the node's list and passes it on in
// the request's context, where the store writes it into the audit entries of the
// consultation. A purpose that is wrong, or missing where use requires one, is refused
// (400 naming purpose or purpose_text) and the refusal audited ("purpose.refused").
func (s *Server) withPurpose(use purposeUse, h func(http.ResponseWriter, *http.Request, *forewarn.Principal)) func(http.ResponseWriter, *http.Request, *forewarn.Principal) {
	if use == purposeNone {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
		pu := requestPurpose(r)
		if pu.Code == "" && pu.Text == "" && use == purposeOptional {
			h(w, r, p)
			return
		}
		ctx, err := s.Node.Consult(r.Context(), pu)
		if err != nil {
			s.refusePurpose(w, r, p, err)
			return
		}
		h(w, r.WithContext(ctx), p)
	}
}

// purposeGiven says whether the call gave a purpose (checked by withPurpose); when it gave
// none, it answers as withPurpose answers a call that needs one, and returns false. A
// handler whose endpoint takes a purpose optionally calls it once it knows that what it is
// about to show needs one: a received message's persons.
func (s *Server) purposeGiven(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) bool {
	if _, ok := forewarn.PurposeFrom(r.Context()); ok {
		return true
	}
	_, err := s.Node.Consult(r.Context(), forewarn.Purpose{})
	if err == nil { // unreachable: an empty purpose is never valid
		err = forewarn.Invalid("purpose", "required", "give a purpose")
	}
	s.refusePurpose(w, r, p, err)
	return false
}

// refusePurpose answers a call whose purpose is missing or wrong with err (400 naming
// purpose or purpose_text), audited as purpose.refused.
func (s *Server) refusePurpose(w http.ResponseWriter, r *http.Request, p *forewarn.Principal, err error) {
	e := &forewarn.AuditEntry{Actor: p.Actor(), Action: "purpose.refused", ObjectType: "route",
		ObjectID: forewarn.AuditText(r.Method+" "+r.URL.Path, 200), Detail: forewarn.AuditText(forewarn.ErrorMessage(err), 1000)}
	if aerr := s.Node.Store.RecordAudit(r.Context(), e); aerr != nil {
		err = aerr
	}
	s.writeError(w, r, err)
}
