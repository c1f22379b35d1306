package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// forwardRequest is the body of POST /api/v1/messages/{id}/forward.
type forwardRequest struct {
	To     string `json:"to"`     // the third agency
	Reason string `json:"reason"` // why (sent to the originator when its consent is needed)
}

// consentAnswer is the body of POST /api/v1/messages/{id}/consent.
type consentAnswer struct {
	Grant  bool   `json:"grant"`
	Reason string `json:"reason"`
}

// overrideRequest is the body of POST /api/v1/messages/{id}/override and
// POST /api/v1/forwards/{id}/override (which takes no "to").
type overrideRequest struct {
	To            string `json:"to,omitempty"`
	Justification string `json:"justification"`
}

func (s *Server) forwardRoutes() []route {
	return []route{
		{Method: "POST", Path: "/api/v1/messages/{id}/forward", Perm: forewarn.PermSendMessages, Tag: "forwards", Summary: "Pass a received message on to a third agency: at once when its handling marks allow, otherwise after its originator's consent, which is asked",
			Request: "ForwardRequest", Response: "Forward", Status: http.StatusCreated, handler: s.handleForward},
		{Method: "POST", Path: "/api/v1/messages/{id}/consent", Perm: forewarn.PermSendMessages, Tag: "forwards", Summary: "Grant or refuse a partner's consent request, with a reason",
			Request: "ConsentAnswer", Response: "MessageView", Status: http.StatusCreated, handler: s.handleConsent},
		{Method: "POST", Path: "/api/v1/messages/{id}/override", Perm: forewarn.PermReadOverdue, Tag: "forwards", Summary: "Imminent threat to life: a supervisor forwards a received message without consent, with a justification; the originator is notified at once",
			Request: "Override", Response: "Forward", Status: http.StatusCreated, handler: s.handleOverride},
		{Method: "POST", Path: "/api/v1/forwards/{id}/override", Perm: forewarn.PermReadOverdue, Tag: "forwards", Summary: "Imminent threat to life: a supervisor lets a forward awaiting consent go without it",
			Request: "Override", Response: "Forward", handler: s.handleOverride},
		{Method: "GET", Path: "/api/v1/forwards", Perm: forewarn.PermReadMessages, Tag: "forwards", Summary: "Forwards and where they stand", Query: []string{"status", "message"}, Response: "ForwardList", handler: s.handleListForwards},
	}
}

func (s *Server) handleForward(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var req forwardRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	fw, err := s.Messages.RequestForward(r.Context(), p, r.PathValue("id"), req.To, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, fw)
}

func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var req consentAnswer
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	sm, err := s.Messages.AnswerConsent(r.Context(), p, r.PathValue("id"), req.Grant, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewOf(sm))
}

func (s *Server) handleOverride(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var req overrideRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	forwardID, messageID := "", r.PathValue("id")
	status := http.StatusCreated
	if strings.HasPrefix(r.URL.Path, "/api/v1/forwards/") {
		forwardID, messageID, status = messageID, "", http.StatusOK
	}
	fw, err := s.Messages.OverrideForward(r.Context(), p, forwardID, messageID, req.To, req.Justification)
	if forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
		s.deny(r, p.Username, err)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, fw)
}

func (s *Server) handleListForwards(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	q := r.URL.Query()
	list, err := s.Node.Store.Forwards(r.Context(), forewarn.ForwardFilter{Status: forewarn.ForwardStatus(q.Get("status")), MessageID: q.Get("message")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) reportRoutes() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/reports/oversight", Perm: forewarn.PermReadAudit, Tag: "audit", Summary: "The oversight report of a period: disclosures, consultations with purposes, consent requests and answers, overrides, refusals, erasures, per peer and per user (CSV with format=csv); reading it is audited",
			Query: []string{"from", "to", "format"}, Response: "OversightReport", handler: s.handleOversightReport},
	}
}

func (s *Server) handleOversightReport(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	q := r.URL.Query()
	from, err := reportTime("from", q.Get("from"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	to, err := reportTime("to", q.Get("to"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.Node.OversightReport(r.Context(), p.Actor(), from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch q.Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, rep)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		rep.WriteCSV(w)
	default:
		s.writeError(w, r, forewarn.Invalid("format", "enum", "format is json or csv"))
	}
}

// reportTime parses a period bound: YYYY-MM-DD or RFC 3339.
func reportTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, forewarn.Invalid(field, "required", "%s is required (YYYY-MM-DD or RFC 3339)", field)
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, forewarn.Invalid(field, "date", "%q is not a date (YYYY-MM-DD) or an RFC 3339 time", v)
	}
	return t, nil
}
