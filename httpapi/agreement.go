package httpapi

import (
	"net/http"

	"github.com/forewarn/forewarn"
)

// agreementRoutes are the sharing agreements per peer: what this node has agreed to send
// each, which every send is checked against before it leaves (app.CheckAgreements).
func (s *Server) agreementRoutes() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/agreements", Perm: forewarn.PermReadMessages, Tag: "admin", Summary: "The sharing agreements with this node's peers: the message kinds, the most restrictive TLP level and the handling each may receive",
			Response: "AgreementList", handler: s.handleListAgreements},
		{Method: "PUT", Path: "/api/v1/peers/{code}/agreement", Perm: forewarn.PermManagePeers, Tag: "admin", Summary: "Record what this node has agreed to send the peer, replacing what it agreed before (audited); a send outside it is refused before it leaves, naming the term",
			Request: "SharingAgreement", Response: "SharingAgreement", handler: s.handleSetAgreement},
		{Method: "DELETE", Path: "/api/v1/peers/{code}/agreement", Perm: forewarn.PermManagePeers, Tag: "admin", Summary: "Remove the agreement with the peer (audited): its handling marks alone then limit what it receives",
			Status: http.StatusNoContent, handler: s.handleRemoveAgreement},
	}
}

func (s *Server) handleListAgreements(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	list, err := s.Node.Store.Agreements(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
}

func (s *Server) handleSetAgreement(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var a forewarn.SharingAgreement
	if err := decodeJSON(r, &a); err != nil {
		s.writeError(w, r, err)
		return
	}
	code := r.PathValue("code")
	if a.Agency != "" && a.Agency != code {
		s.writeError(w, r, forewarn.Invalid("agency", "path", "the body names %q but the path %q", a.Agency, code))
		return
	}
	a.Agency = code
	if err := s.Node.Store.SetAgreement(r.Context(), p.Actor(), &a); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleRemoveAgreement(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if err := s.Node.Store.RemoveAgreement(r.Context(), p.Actor(), r.PathValue("code")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
