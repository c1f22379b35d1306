package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn"
)

// agreementsPage lists every peer with what this node has agreed to send it, each with
// the form that records, edits or removes the agreement.
type agreementsPage struct {
	Peers []agreementView
	Flash string
	Error string
}

// agreementView is one peer and its agreement (nil when it has none), with the form's
// choices filled from it, or from what the administrator last sent when it was refused.
type agreementView struct {
	Peer      *forewarn.Peer
	Agreement *forewarn.SharingAgreement
	Form      forewarn.SharingAgreement
	Kinds     []agreementChoice
	TLPs      []agreementChoice
	Error     string // why the last change of this peer's agreement was refused
}

type agreementChoice struct {
	Value string
	On    bool
}

// agreementKinds are the kinds an agreement may name, in the order the form shows them.
var agreementKinds = []forewarn.MessageKind{forewarn.KindRequest, forewarn.KindNotification, forewarn.KindResponse, forewarn.KindPrivateMatch}

var agreementTLPs = []forewarn.TLP{forewarn.TLPClear, forewarn.TLPGreen, forewarn.TLPAmber, forewarn.TLPAmberStrict, forewarn.TLPRed}

func (s *Server) handleAgreements(w http.ResponseWriter, r *http.Request, a *access) {
	pg := agreementsPage{}
	switch r.URL.Query().Get("done") {
	case "saved":
		pg.Flash = msg("Agreement saved.")
	case "removed":
		pg.Flash = msg("Agreement removed: the handling marks alone limit what the peer receives.")
	}
	s.showAgreements(w, r, a, http.StatusOK, pg, "", nil, "")
}

// showAgreements renders the page; failed names the peer whose form was refused, with
// what was sent (form) and why (errText).
func (s *Server) showAgreements(w http.ResponseWriter, r *http.Request, a *access, status int, pg agreementsPage, failed string, form *forewarn.SharingAgreement, errText string) {
	ctx := r.Context()
	peers, err := s.Node.Store.Peers(ctx)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	list, err := s.Node.Store.Agreements(ctx)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	byPeer := map[string]*forewarn.SharingAgreement{}
	for _, ag := range list {
		byPeer[ag.Agency] = ag
	}
	for _, p := range peers {
		v := agreementView{Peer: p, Agreement: byPeer[p.Agency.Code]}
		switch {
		case p.Agency.Code == failed && form != nil:
			v.Form, v.Error = *form, errText
		case v.Agreement != nil:
			v.Form = *v.Agreement
		default:
			v.Form = forewarn.SharingAgreement{MaxTLP: forewarn.TLPAmber}
		}
		for _, k := range agreementKinds {
			v.Kinds = append(v.Kinds, agreementChoice{Value: string(k), On: slices.Contains(v.Form.Kinds, k)})
		}
		for _, t := range agreementTLPs {
			v.TLPs = append(v.TLPs, agreementChoice{Value: string(t), On: v.Form.MaxTLP == t})
		}
		pg.Peers = append(pg.Peers, v)
	}
	s.render(w, r, a, status, "agreements", msg("Sharing agreements"), pg)
}

// handleSetAgreement records or replaces the agreement with a peer, as PUT
// /api/v1/peers/{code}/agreement does: the store validates it, names the field that is
// wrong, and audits the change.
func (s *Server) handleSetAgreement(w http.ResponseWriter, r *http.Request, a *access) {
	code := r.PathValue("code")
	ag := &forewarn.SharingAgreement{Agency: code, MaxTLP: forewarn.TLP(r.PostFormValue("max_tlp")),
		ConsentRequired: r.PostFormValue("consent_required") != "", Forwarded: r.PostFormValue("forwarded") != "",
		NotifyErasure: r.PostFormValue("notify_erasure") != "", Note: strings.TrimSpace(r.PostFormValue("note")), Kinds: []forewarn.MessageKind{}}
	for _, k := range r.PostForm["kinds"] {
		ag.Kinds = append(ag.Kinds, forewarn.MessageKind(k))
	}
	err := error(nil)
	if n := strings.TrimSpace(r.PostFormValue("private_persons_per_day")); n != "" {
		if ag.PrivatePersonsPerDay, err = strconv.Atoi(n); err != nil {
			err = forewarn.Invalid("private_persons_per_day", "integer", "the private query limit is a whole number of persons a day, not %q", n)
		}
	}
	if err == nil {
		err = s.Node.Store.SetAgreement(r.Context(), a.Principal.Actor(), ag)
	}
	if err != nil {
		s.showAgreements(w, r, a, httpStatus(err), agreementsPage{}, code, ag, errText(r.Context(), err))
		return
	}
	redirect(w, r, "/admin/agreements?done=saved#agreement-"+url.PathEscape(code))
}

func (s *Server) handleRemoveAgreement(w http.ResponseWriter, r *http.Request, a *access) {
	code := r.PathValue("code")
	if err := s.Node.Store.RemoveAgreement(r.Context(), a.Principal.Actor(), code); err != nil {
		s.showAgreements(w, r, a, httpStatus(err), agreementsPage{Error: errText(r.Context(), err)}, "", nil, "")
		return
	}
	redirect(w, r, "/admin/agreements?done=removed")
}
