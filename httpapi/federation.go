package httpapi

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
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
	limit := int64(s.Messages.MaxEnvelope)
	release, ok := s.admitFederation(w, r, limit, "envelope")
	if !ok {
		return
	}
	defer release()
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the envelope: %v", err))
		return
	}
	select {
	case s.fedWorkers <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	// The worker slot bounds verifying and matching; a message waiting to be stored
	// with others (group commit) gives it back.
	working := true
	stopWorking := func() {
		if working {
			working = false
			<-s.fedWorkers
		}
	}
	defer stopWorking()
	receipt, err := s.Messages.ReceiveThen(r.Context(), body, r.RemoteAddr, stopWorking)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(receipt)
}

// handleWitnessHead countersigns a peer's signed audit head (witnessing) and answers with
// the head as this node keeps it. A second, different head for an entry the peer stated
// before is refused (409) and kept as evidence.
func (s *Server) handleWitnessHead(w http.ResponseWriter, r *http.Request) {
	s.handleSignedPost(w, r, envelope.MaxHeadBytes, s.Messages.Witness)
}

// handleWitnessQuery answers a peer's signed query with the heads of its chain kept here.
func (s *Server) handleWitnessQuery(w http.ResponseWriter, r *http.Request) {
	s.handleSignedPost(w, r, 4<<10, s.Messages.WitnessedFor)
}

// handleSignedPost reads a small signed document from a peer, within the federation
// endpoint's reading slots, and answers with what answer makes of it.
func (s *Server) handleSignedPost(w http.ResponseWriter, r *http.Request, limit int64, answer func(ctx context.Context, data []byte, remote string) ([]byte, error)) {
	if s.Messages == nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINTERNAL, "this node does not exchange messages"))
		return
	}
	release, ok := s.admitFederation(w, r, limit, "document")
	if !ok {
		return
	}
	defer release()
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the document: %v", err))
		return
	}
	if int64(len(body)) > limit {
		s.writeError(w, r, s.Messages.Refuse(r.Context(), r.RemoteAddr, forewarn.Errorf(forewarn.EINVALID, "the document is over %d bytes", limit)))
		return
	}
	out, err := answer(r.Context(), body, r.RemoteAddr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// admitFederation makes the checks every federation endpoint makes before it reads a
// body from a caller it does not know yet: mutual TLS when the node requires it, the size
// the body declares (what names it: "envelope", "document"), and a free reading slot,
// answering 503 with Retry-After at once when there is none. It reports whether the
// request may go on, and then release gives the slot back.
func (s *Server) admitFederation(w http.ResponseWriter, r *http.Request, limit int64, what string) (release func(), ok bool) {
	if s.requireClientCert && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
		err := forewarn.Errorf(forewarn.EUNAUTHORIZED, "this node requires mutual TLS: present a client certificate signed by its CA")
		leaveBodyUnread(w)
		s.deny(r, "", err)
		s.writeError(w, r, err)
		return nil, false
	}
	if r.ContentLength > limit {
		leaveBodyUnread(w)
		err := forewarn.Errorf(forewarn.EINVALID, "the %s is %d bytes; the limit is %d", what, r.ContentLength, limit)
		s.writeError(w, r, s.Messages.Refuse(r.Context(), r.RemoteAddr, err))
		return nil, false
	}
	select {
	case s.fedReaders <- struct{}{}:
		return func() { <-s.fedReaders }, true
	default:
		leaveBodyUnread(w)
		w.Header().Set("Retry-After", "1")
		var body errorBody
		body.Error.Code, body.Error.Message = "unavailable", "this node is busy receiving other deliveries; retry shortly"
		writeJSON(w, http.StatusServiceUnavailable, body)
		return nil, false
	}
}

// leaveBodyUnread makes a refusal answered before the body is read go out at once, and
// end the connection. Otherwise net/http first reads up to 256 KiB of the body it left
// (to reuse the connection), and a body still arriving, as a flood's slow ones are, holds
// back the answer until it ends or the read timeout (30 s) passes: a delivery refused for
// want of a reading slot would not be answered 503 at once, and would hold its goroutine
// and connection meanwhile.
func leaveBodyUnread(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	// Reading stops at once; only the unread body is lost, with the connection.
	http.NewResponseController(w).SetReadDeadline(time.Now())
}
