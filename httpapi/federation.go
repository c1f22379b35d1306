package httpapi

import (
	"io"
	"net/http"
	"runtime"

	"github.com/forewarn/forewarn"
)

// Bounds on the federation endpoint, which anyone who can reach the node can call before
// anything is known about them: how many bodies are read at once (each at most the
// envelope limit, so these bound the memory held), and how many are verified at once
// (verification is CPU-bound, so more than the cores only queues).
var (
	FederationReaders = 32
	FederationWorkers = max(2, runtime.GOMAXPROCS(0))
)

// handleFederationMessage accepts a signed envelope from a peer and answers with the
// signed receipt. A body larger than the envelope limit is refused (and audited) from its
// Content-Length without being read, or after one byte more than the limit. When every
// reading slot is taken the node answers 503 with Retry-After at once, so a flood costs it
// no memory and a real sender simply retries.
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
	limit := int64(s.Messages.MaxEnvelope)
	if r.ContentLength > limit {
		err := forewarn.Errorf(forewarn.EINVALID, "the envelope is %d bytes; the limit is %d", r.ContentLength, limit)
		s.writeError(w, r, s.Messages.Refuse(r.Context(), r.RemoteAddr, err))
		return
	}
	select {
	case s.fedReaders <- struct{}{}:
		defer func() { <-s.fedReaders }()
	default:
		w.Header().Set("Retry-After", "1")
		var body errorBody
		body.Error.Code, body.Error.Message = "unavailable", "this node is busy receiving other deliveries; retry shortly"
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the envelope: %v", err))
		return
	}
	select {
	case s.fedWorkers <- struct{}{}:
		defer func() { <-s.fedWorkers }()
	case <-r.Context().Done():
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
