package httpapi

import (
	"io"
	"net/http"

	"github.com/forewarn/forewarn"
)

// handleFederationMessage accepts a signed envelope from a peer and answers with the
// signed receipt. It reads at most one byte more than the envelope limit, so an oversized
// body is refused (and audited) without being read whole.
func (s *Server) handleFederationMessage(w http.ResponseWriter, r *http.Request) {
	if s.Messages == nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINTERNAL, "this node does not exchange messages"))
		return
	}
	if s.requireClientCert && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
		err := forewarn.Errorf(forewarn.EUNAUTHORIZED, "this node requires mutual TLS: present a client certificate signed by its CA")
		s.deny(r, "", err)
		s.writeError(w, r, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.Messages.MaxEnvelope)+1))
	if err != nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the envelope: %v", err))
		return
	}
	receipt, err := s.Messages.Receive(r.Context(), body, r.RemoteAddr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(receipt)
}
