package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
)

// Bounds on the federation endpoint, which anyone who can reach the node can call before
// anything is known about them: how many bodies are read at once (each at most the
// envelope limit, so these bound the memory held), how many envelopes of the bodies read
// are received at once, and how many are verified at once (verification is CPU-bound, so
// more than the cores only queues).
//
// FederationItems is as many as a node says it gains from in flight
// (app.GroupedTakesInFlight): a peer's deliveries in flight are then stored together
// rather than a quarter of them at a time, each group commit the larger. It bounds what
// the envelopes being stored hold at once (goroutines, a connection each for their
// reads); their bytes are the bodies'. On a 2-core machine, 4000x, a PostgreSQL recipient
// of 128 in flight stored 3,243-3,589 msgs/s at 128 (both processes and the server
// 0.44-0.47 CPU ms/msg, p99 40-49 ms) against 2,960-3,402 at 32 (0.49-0.58, p99 49-58 ms).
var (
	FederationReaders = 32
	FederationItems   = 128
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
	body, err := readBody(r, limit)
	if err != nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the envelope: %v", err))
		return
	}
	receipt, ok, err := s.receive(r, body)
	if !ok {
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(receipt)
}

// readBody reads a request's body, up to limit+1 bytes (so that a caller sees one over
// the limit), into one buffer sized by the declared length when there is one, instead
// of growing it step by step as io.ReadAll does. No more than preallocBody is taken on
// the sender's word: a length declared and never sent costs no more than that.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(min(n, preallocBody)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	return buf.Bytes(), err
}

// preallocBody is the most readBody allocates before the body's bytes arrive: more than
// a batch of DefaultBatchSize warnings takes.
const preallocBody = 64 << 10

// receive verifies and stores one envelope within a worker slot (Messages.ReceiveThen) and
// returns its receipt or its refusal. The slot bounds verifying and matching; a message
// waiting to be stored with others (group commit) gives it back. ok is false when the
// sender left before a slot was free: nothing is to be answered.
func (s *Server) receive(r *http.Request, data []byte) (receipt []byte, ok bool, err error) {
	// However many requests, single or batches, are read at once, no more envelopes are
	// received at once than FederationItems: each holds what its storing needs until it
	// is stored.
	select {
	case s.fedItems <- struct{}{}:
		defer func() { <-s.fedItems }()
	case <-r.Context().Done():
		return nil, false, nil
	}
	select {
	case s.fedWorkers <- struct{}{}:
	case <-r.Context().Done():
		return nil, false, nil
	}
	working := true
	stopWorking := func() {
		if working {
			working = false
			<-s.fedWorkers
		}
	}
	defer stopWorking()
	receipt, err = s.Messages.ReceiveThen(r.Context(), data, r.RemoteAddr, stopWorking)
	return receipt, true, err
}

// handleFederationBatch accepts several signed envelopes from a peer in one request
// (docs/envelope.md, "Batches") and answers, in their order, each one's signed receipt or
// the refusal the single endpoint would have given it. The batch is bounded as one
// envelope is: its body by the envelope limit, read within one reading slot, and its
// envelopes are verified within the same worker slots, all at once as far as the slots
// allow, so that they are stored together (group commit); however many batches arrive,
// at most FederationItems envelopes, of batches and single requests together,
// are received at once. A receipt is answered only once
// its message is durable; one envelope refused does not hold back the others.
func (s *Server) handleFederationBatch(w http.ResponseWriter, r *http.Request) {
	if s.Messages == nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINTERNAL, "this node does not exchange messages"))
		return
	}
	limit := int64(s.Messages.MaxEnvelope)
	release, ok := s.admitFederation(w, r, limit, "batch")
	if !ok {
		return
	}
	defer release()
	body, err := readBody(r, limit)
	if err != nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the batch: %v", err))
		return
	}
	if int64(len(body)) > limit {
		s.writeError(w, r, s.Messages.Refuse(r.Context(), r.RemoteAddr, forewarn.Errorf(forewarn.EINVALID, "the batch is over %d bytes", limit)))
		return
	}
	items, err := envelope.ParseBatch(body, envelope.MaxBatchItems)
	if err != nil {
		s.writeError(w, r, s.Messages.Refuse(r.Context(), r.RemoteAddr, err))
		return
	}
	results := make([]envelope.BatchResult, len(items))
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Add(1)
		s.receivers.Go(func() {
			defer wg.Done()
			results[i] = s.receiveInBatch(r, item)
		})
	}
	wg.Wait()
	if r.Context().Err() != nil {
		return // the sender is gone; what was stored is answered again on its retry
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(envelope.AppendBatchAnswer(make([]byte, 0, len(items)*1024), results, s.Messages.TakesInFlight))
}

// receiveInBatch receives one envelope of a batch within a worker slot, as the single
// endpoint does, and returns its receipt or its refusal.
func (s *Server) receiveInBatch(r *http.Request, data []byte) envelope.BatchResult {
	receipt, ok, err := s.receive(r, data)
	if !ok {
		return envelope.BatchResult{} // the sender left: nothing is answered
	}
	if err != nil {
		return s.batchRefusal(r, err)
	}
	return envelope.BatchResult{Receipt: receipt}
}

// batchRefusal is err as the single endpoint answers it (writeError): the HTTP status and
// the error object.
func (s *Server) batchRefusal(r *http.Request, err error) envelope.BatchResult {
	var body errorBody
	status := ErrorStatus(err)
	var often *app.RefusedTooOften
	switch {
	case errors.As(err, &often):
		status = http.StatusTooManyRequests
		body.Error.Code, body.Error.Message = "rate_limited", "too many refused requests from your address; wait a minute"
	default:
		code := forewarn.ErrorCode(err)
		if code == forewarn.EINTERNAL {
			s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		body.Error.Code, body.Error.Message = code, forewarn.ErrorMessage(err)
		if fe, ok := err.(*forewarn.Error); ok {
			body.Error.Field, body.Error.Rule, body.Error.Values = fe.Field, fe.Rule, fe.Values
		}
	}
	raw, _ := json.Marshal(&body.Error) // strings only: cannot fail
	return envelope.BatchResult{Status: status, Error: raw}
}

// federationBatch and federationBatchAnswer describe the batch endpoint's bodies in the
// OpenAPI document; the handler reads and writes them with package envelope, which keeps
// each envelope and receipt byte for byte.
type federationBatch struct {
	Envelopes []map[string]any `json:"envelopes"`
}

type federationBatchAnswer struct {
	Results []struct {
		Receipt map[string]any `json:"receipt,omitempty"`
		Status  int            `json:"status,omitempty"`
		Error   *struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Field   string   `json:"field,omitempty"`
			Rule    string   `json:"rule,omitempty"`
			Values  []string `json:"values,omitempty"`
		} `json:"error,omitempty"`
	} `json:"results"`
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
