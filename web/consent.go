package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/forewarn/forewarn"
)

// consentView is what the message page shows of the third-party rule: a consent request
// to answer, the forwards of the message, and the forms to forward and to override.
type consentView struct {
	MessageID   string
	CSRF        string
	Ask         *forewarn.ConsentRequest // a consent request this node received, unanswered
	Answered    bool
	Provenance  *forewarn.Provenance
	Forwards    []*forewarn.Forward
	CanForward  bool
	CanOverride bool
	Peers       []string
}

// consentOf fills the consent part of the message page.
func (s *Server) consentOf(ctx context.Context, a *access, sm *forewarn.StoredMessage) *consentView {
	m := sm.Message
	v := &consentView{MessageID: m.ID, Provenance: m.Provenance}
	if a.Session != nil {
		v.CSRF = a.Session.CSRF
	}
	if sm.Direction != forewarn.DirectionIn {
		return v
	}
	if m.Consent != nil && m.Kind == forewarn.KindRequest {
		v.Ask = m.Consent
		for _, d := range sm.Deliveries {
			v.Answered = v.Answered || d.Actioned()
		}
	}
	if m.Kind != forewarn.KindNotification && (m.Kind != forewarn.KindRequest || m.Consent != nil) {
		return v
	}
	v.Forwards, _ = s.Node.Store.Forwards(ctx, forewarn.ForwardFilter{MessageID: m.ID})
	v.CanForward = a.Principal.Can(forewarn.PermSendMessages)
	v.CanOverride = a.Principal.HasRole(forewarn.RoleSupervisor)
	if v.CanForward || v.CanOverride {
		peers, _ := s.Node.Store.Peers(ctx)
		for _, p := range peers {
			if p.Agency.Code != m.From && (m.Provenance == nil || p.Agency.Code != m.Provenance.Originator) {
				v.Peers = append(v.Peers, p.Agency.Code)
			}
		}
	}
	return v
}

// handleConsentAnswer grants or refuses a consent request, with the reason required.
func (s *Server) handleConsentAnswer(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id := r.PathValue("id")
	grant := r.PostFormValue("answer") == "grant"
	if r.PostFormValue("answer") != "grant" && r.PostFormValue("answer") != "refuse" {
		s.showMessage(w, r, a, http.StatusBadRequest, ackForm{Error: msg("Choose to grant or to refuse consent.")})
		return
	}
	if _, err := s.Messages.AnswerConsent(r.Context(), a.Principal, id, grant, r.PostFormValue("reason")); err != nil {
		s.consentFailed(w, r, a, err)
		return
	}
	redirect(w, r, "/messages/"+id+"?done=consent")
}

// handleForward asks to pass the message on (or, for a supervisor with a justification,
// overrides the originator's consent under an imminent threat).
func (s *Server) handleForward(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id, to := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("to"))
	var err error
	if r.PostFormValue("override") == "1" {
		_, err = s.Messages.OverrideForward(r.Context(), a.Principal, "", id, to, r.PostFormValue("justification"))
	} else {
		_, err = s.Messages.RequestForward(r.Context(), a.Principal, id, to, r.PostFormValue("reason"))
	}
	if err != nil {
		s.consentFailed(w, r, a, err)
		return
	}
	redirect(w, r, "/messages/"+id+"?done=forward")
}

func (s *Server) consentFailed(w http.ResponseWriter, r *http.Request, a *access, err error) {
	switch forewarn.ErrorCode(err) {
	case forewarn.EFORBIDDEN:
		s.refuse(w, r, a, forewarn.ErrorMessage(err), errText(r.Context(), err))
	case forewarn.EINVALID, forewarn.ECONFLICT:
		s.showMessage(w, r, a, httpStatus(err), ackForm{Error: errText(r.Context(), err)})
	default:
		s.fail(w, r, a, err)
	}
}
