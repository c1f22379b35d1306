package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// RequestForward is a liaison officer's request to pass a received message on to a third
// agency, for reason. When the message's handling marks let it go there (CheckEgress) it
// is forwarded at once; when they need the originator's consent, a signed consent request
// (what, to whom, why) goes to the originator instead, threaded under its message, with a
// deadline that escalates like any request's, and the forward waits for the answer
// (ApplyConsentAnswers). The forward is written with the message it causes, in one
// transaction.
func (ms *Messages) RequestForward(ctx context.Context, p *forewarn.Principal, messageID, to, reason string) (*forewarn.Forward, error) {
	if !p.Can(forewarn.PermSendMessages) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "only a liaison officer forwards a message to another agency")
	}
	orig, fw, err := ms.newForward(ctx, p, messageID, to, reason)
	if err != nil {
		return nil, err
	}
	refusal := ms.CheckEgress(ctx, p.Actor(), forwardEgress(orig, fw, false))
	switch {
	case refusal == nil:
		fw.Status = forewarn.ForwardSent
		return ms.sendForwarded(ctx, p.Actor(), orig, fw, "", nil)
	case forewarn.ErrorCode(refusal) != forewarn.EFORBIDDEN:
		return nil, refusal
	}
	// Refused only for want of consent: ask the originator.
	if _, err := ms.Store.Peer(ctx, fw.Originator); err != nil {
		return nil, forewarn.Invalid("message_id", "originator_peer", "the originator %s is not a peer of this node, so its consent cannot be asked: %s", fw.Originator, forewarn.ErrorMessage(refusal))
	}
	// The agreement with the third agency is asked now, not after the originator agreed.
	if err := ms.CheckAgreements(ctx, p.Actor(), forwardedMessage(orig, fw, nil, ""), true); err != nil {
		return nil, err
	}
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	om := orig.Message
	req := &forewarn.Message{
		Kind: forewarn.KindRequest, To: []string{fw.Originator}, InReplyTo: om.ID,
		Marks: consentMarks(om.Marks, fw.Originator),
		Request: &forewarn.Request{
			Subject:   truncate(fmt.Sprintf("Consent to pass your %s on to %s", om.Kind, fw.To), forewarn.MaxTitleBytes),
			Questions: fmt.Sprintf("%s asks your consent to pass your %s %s on to %s, because: %s", self, om.Kind, originatorID(orig), fw.To, reason),
			Persons:   om.Persons(), Priority: orig.Priority,
		},
		Consent: &forewarn.ConsentRequest{MessageID: originatorID(orig), To: fw.To, Reason: reason},
	}
	if om.Provenance != nil {
		// Consent is the originator's to give; a forwarded message's originator is
		// not its sender, so the request is not a reply in the sender's thread.
		req.InReplyTo = ""
	}
	fw.Status = forewarn.ForwardAwaitingConsent
	if _, err := ms.sendWith(ctx, p.Actor(), req, "", fw, "", func(id string) { fw.ConsentRequestID = id }); err != nil {
		return nil, err
	}
	return fw, nil
}

// newForward checks a forward request and returns the message and the new forward.
func (ms *Messages) newForward(ctx context.Context, p *forewarn.Principal, messageID, to, reason string) (*forewarn.StoredMessage, *forewarn.Forward, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, nil, forewarn.Invalid("reason", "required", "say why the message should go to %s", to)
	}
	if len(reason) > forewarn.MaxMessageText {
		return nil, nil, forewarn.Invalid("reason", "max_length", "the reason is longer than %d bytes", forewarn.MaxMessageText)
	}
	orig, err := ms.Store.Message(ctx, messageID)
	if err != nil {
		return nil, nil, err
	}
	if orig.Direction != forewarn.DirectionIn || (orig.Message.Kind != forewarn.KindNotification && orig.Message.Kind != forewarn.KindRequest) {
		return nil, nil, forewarn.Invalid("message_id", "received", "only a received warning or request is forwarded; “%s” is not one", orig.Message.Title())
	}
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, nil, err
	}
	originator := orig.Message.From
	if pv := orig.Message.Provenance; pv != nil {
		originator = pv.Originator
	}
	if to == self || to == orig.Message.From || to == originator {
		return nil, nil, forewarn.Invalid("to", "third_agency", "%s already has “%s”; forward it to a third agency", to, orig.Message.Title())
	}
	if _, err := ms.Store.Peer(ctx, to); err != nil {
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, nil, forewarn.Invalid("to", "known_peer", "%s is not a registered peer of this node", to)
		}
		return nil, nil, err
	}
	now := ms.Clock.Now()
	fw := &forewarn.Forward{ID: forewarn.NewID(now), MessageID: orig.Message.ID, Originator: originator, To: to, Reason: reason,
		RequestedBy: p.Username, CreatedAt: now}
	return orig, fw, nil
}

// originatorID is the originator's ID for a received message.
func originatorID(orig *forewarn.StoredMessage) string {
	if pv := orig.Message.Provenance; pv != nil {
		return pv.MessageID
	}
	return orig.SenderID()
}

func forwardEgress(orig *forewarn.StoredMessage, fw *forewarn.Forward, consent bool) forewarn.Egress {
	return forewarn.Egress{Path: forewarn.EgressForward, MessageID: orig.Message.ID, Marks: orig.Message.Marks, Originator: fw.Originator, To: fw.To, Consent: consent}
}

// consentMarks are the marks of a message about orig's content sent back to its
// originator: as strict as the original's, for the originator only.
func consentMarks(h forewarn.HandlingMarks, originator string) forewarn.HandlingMarks {
	return forewarn.HandlingMarks{TLP: forewarn.TLPAmber.Stricter(h.TLP), ReleasableTo: []string{originator}, OriginatorConsentRequired: h.OriginatorConsentRequired}
}

// forwardedMessage is the message a forward sends: the original's payload, under the
// originator's marks for the one agency it goes to, with its provenance.
func forwardedMessage(orig *forewarn.StoredMessage, fw *forewarn.Forward, answer *forewarn.StoredMessage, justification string) *forewarn.Message {
	om := orig.Message
	pv := &forewarn.Provenance{Originator: fw.Originator, MessageID: originatorID(orig)}
	if answer != nil {
		pv.Consent = answer.SenderID()
	}
	if justification != "" {
		pv.Override, pv.Justification = true, justification
	}
	m := &forewarn.Message{Kind: om.Kind, To: []string{fw.To},
		Marks:      forewarn.HandlingMarks{TLP: om.Marks.TLP, ReleasableTo: []string{fw.To}, OriginatorConsentRequired: om.Marks.OriginatorConsentRequired},
		Provenance: pv}
	switch {
	case om.Notification != nil:
		n := *om.Notification
		n.AcknowledgeBy = time.Time{} // the policy's, from now
		m.Notification = &n
	case om.Request != nil:
		r := *om.Request
		r.Deadline = time.Time{}
		m.Request = &r
	}
	return m
}

// sendForwarded sends the forwarded message and records fw (in its new status) with it,
// provided fw is still in status from.
func (ms *Messages) sendForwarded(ctx context.Context, actor forewarn.Actor, orig *forewarn.StoredMessage, fw *forewarn.Forward, from forewarn.ForwardStatus, answer *forewarn.StoredMessage) (*forewarn.Forward, error) {
	m := forwardedMessage(orig, fw, answer, fw.Justification)
	fw.DecidedAt = ms.Clock.Now()
	if _, err := ms.sendWith(ctx, actor, m, "", fw, from, func(id string) { fw.ForwardedID = id }); err != nil {
		return nil, err
	}
	return fw, nil
}

// ApplyConsentAnswers acts on the originators' answers to this node's consent requests:
// a grant sends the forward (with the consent's reference in its provenance), a refusal
// closes it and nothing leaves. It runs when an answer arrives and on every tick, so an
// answer stored just before a crash is acted on after it; each forward is decided once.
func (ms *Messages) ApplyConsentAnswers(ctx context.Context) error {
	waiting, err := ms.Store.Forwards(ctx, forewarn.ForwardFilter{Status: forewarn.ForwardAwaitingConsent})
	if err != nil || len(waiting) == 0 {
		return err
	}
	actor := forewarn.SystemActor("consent")
	for _, fw := range waiting {
		req, err := ms.Store.Message(ctx, fw.ConsentRequestID)
		if err != nil {
			return err
		}
		thread, _, err := ms.Store.Messages(ctx, forewarn.MessageFilter{Thread: ms.threadOf(ctx, req), Direction: forewarn.DirectionIn, Kind: forewarn.KindResponse, Limit: 1000})
		if err != nil {
			return err
		}
		for _, r := range thread {
			a := r.Message.ConsentAnswer
			if a == nil || r.Message.InReplyTo != fw.ConsentRequestID || r.Message.From != fw.Originator {
				continue
			}
			fw.AnswerID, fw.AnswerReason, fw.DecidedAt = r.Message.ID, a.Reason, ms.Clock.Now()
			if !a.Granted {
				fw.Status = forewarn.ForwardRefused
				err = ms.Store.RefuseForward(ctx, actor, fw)
			} else {
				var orig *forewarn.StoredMessage
				if orig, err = ms.Store.Message(ctx, fw.MessageID); err == nil {
					if err = ms.CheckEgress(ctx, actor, forwardEgress(orig, fw, true)); err == nil {
						fw.Status = forewarn.ForwardSent
						_, err = ms.sendForwarded(ctx, actor, orig, fw, forewarn.ForwardAwaitingConsent, r)
					}
				}
			}
			if forewarn.ErrorCode(err) == forewarn.ECONFLICT {
				err = nil // decided meanwhile, by another round or an override
			}
			if err != nil {
				return fmt.Errorf("apply the answer to forward %s: %w", fw.ID, err)
			}
			break
		}
	}
	return nil
}

// threadOf is the root of the thread a stored message belongs to, for
// MessageFilter.Thread: the first message up its replies that this node holds.
func (ms *Messages) threadOf(ctx context.Context, sm *forewarn.StoredMessage) string {
	for range 64 {
		if sm.Message.InReplyTo == "" {
			break
		}
		up, err := ms.Store.Message(ctx, sm.Message.InReplyTo)
		if err != nil {
			break
		}
		sm = up
	}
	return sm.Message.ID
}

// AnswerConsent is the originator's liaison officer granting or refusing a consent
// request received from a partner, with a reason: a signed response that travels back
// and answers the request (closing its escalation on both sides).
func (ms *Messages) AnswerConsent(ctx context.Context, p *forewarn.Principal, requestID string, grant bool, reason string) (*forewarn.StoredMessage, error) {
	if !p.Can(forewarn.PermSendMessages) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "only a liaison officer answers a consent request")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, forewarn.Invalid("reason", "required", "say why consent is granted or refused")
	}
	req, err := ms.Store.Message(ctx, requestID)
	if err != nil {
		return nil, err
	}
	if req.Direction != forewarn.DirectionIn || req.Message.Consent == nil || req.Message.Kind != forewarn.KindRequest {
		return nil, forewarn.Invalid("message_id", "consent_request", "message %s is not a consent request this node received", requestID)
	}
	for _, d := range req.Deliveries {
		if d.Actioned() {
			return nil, forewarn.Errorf(forewarn.ECONFLICT, "the consent request “%s” from %s is answered already", req.Message.Title(), req.Message.From)
		}
	}
	word := "refused"
	if grant {
		word = "granted"
	}
	c := req.Message.Consent
	return ms.Send(ctx, p.Actor(), &forewarn.Message{
		Kind: forewarn.KindResponse, To: []string{req.Message.From}, InReplyTo: requestID,
		Marks:         consentMarks(req.Message.Marks, req.Message.From),
		Response:      &forewarn.Response{Answer: fmt.Sprintf("Consent to pass message %s on to %s %s: %s", c.MessageID, c.To, word, reason)},
		ConsentAnswer: &forewarn.ConsentAnswer{Granted: grant, Reason: reason},
	})
}

// OverrideForward is a supervisor forwarding a received message to a third agency without
// the originator's consent, under an imminent threat to life, with a mandatory
// justification: the forward goes at once, flagged as an override in its provenance, the
// trail and the oversight report, and the originator is notified at once with a flash
// notice (sent in the same round; SendOverrideNotices catches up after a crash). forwardID
// names a forward awaiting consent; otherwise messageID and to start a new one.
func (ms *Messages) OverrideForward(ctx context.Context, p *forewarn.Principal, forwardID, messageID, to, justification string) (*forewarn.Forward, error) {
	if !p.HasRole(forewarn.RoleSupervisor) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "only a supervisor overrides the originator's consent")
	}
	justification = strings.TrimSpace(justification)
	if justification == "" {
		return nil, forewarn.Invalid("justification", "required", "an imminent-threat override needs its justification")
	}
	var (
		orig *forewarn.StoredMessage
		fw   *forewarn.Forward
		from forewarn.ForwardStatus
		err  error
	)
	if forwardID != "" {
		if fw, err = ms.Store.Forward(ctx, forwardID); err != nil {
			return nil, err
		}
		if orig, err = ms.Store.Message(ctx, fw.MessageID); err != nil {
			return nil, err
		}
		if fw.Status != forewarn.ForwardAwaitingConsent {
			return nil, forewarn.Errorf(forewarn.ECONFLICT, "the forward of “%s” to %s is %s already", orig.Message.Title(), fw.To, fw.Status)
		}
		from = fw.Status
	} else if orig, fw, err = ms.newForward(ctx, p, messageID, to, justification); err != nil {
		return nil, err
	}
	fw.Status, fw.OverrideBy, fw.Justification = forewarn.ForwardOverridden, p.Username, justification
	if _, err := ms.sendForwarded(ctx, p.Actor(), orig, fw, from, nil); err != nil {
		return nil, err
	}
	if err := ms.SendOverrideNotices(ctx); err != nil {
		ms.Logger.Error("could not notify the originator of an override yet; the next tick retries", "forward", fw.ID, "err", err)
	}
	return ms.Store.Forward(ctx, fw.ID)
}

// SendOverrideNotices sends the originator the flash notice of every override not yet
// notified, each written with its forward in one transaction.
func (ms *Messages) SendOverrideNotices(ctx context.Context) error {
	over, err := ms.Store.Forwards(ctx, forewarn.ForwardFilter{Status: forewarn.ForwardOverridden})
	if err != nil {
		return err
	}
	for _, fw := range over {
		if fw.NoticeID != "" {
			continue
		}
		orig, err := ms.Store.Message(ctx, fw.MessageID)
		if err != nil {
			return err
		}
		om := orig.Message
		n := &forewarn.Message{
			Kind: forewarn.KindNotification, To: []string{fw.Originator},
			Marks: consentMarks(om.Marks, fw.Originator),
			Notification: &forewarn.Notification{
				Summary: fmt.Sprintf("Imminent threat to life: your %s %s was passed on to %s without your consent, by supervisor %s. Justification: %s",
					om.Kind, originatorID(orig), fw.To, fw.OverrideBy, fw.Justification),
				Priority: forewarn.PriorityFlash, Persons: om.Persons(),
			},
			Consent: &forewarn.ConsentRequest{MessageID: originatorID(orig), To: fw.To, Reason: fw.Justification, Override: true},
		}
		if om.Provenance == nil {
			n.InReplyTo = om.ID
		}
		_, err = ms.sendWith(ctx, forewarn.SystemActor("consent"), n, "", fw, forewarn.ForwardOverridden, func(id string) { fw.NoticeID = id })
		if forewarn.ErrorCode(err) == forewarn.ECONFLICT {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}
