package httpapi

import (
	"net/http"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// programView is the view of a message as p may receive it through the API. A person (a
// session, or a person's CLI token) gets it whole. Another program's token gets it only
// where the message's handling marks let it out to programs (app.Node.CheckEgress with
// forewarn.EgressProgram, which audits a refusal); otherwise err is the refusal and the
// view the message without its content, saying why.
func (s *Server) programView(r *http.Request, p *forewarn.Principal, sm *forewarn.StoredMessage) (*MessageView, error) {
	if p == nil || !p.Program || sm.Direction != forewarn.DirectionIn {
		return viewOf(sm), nil
	}
	m := sm.Message
	err := s.Node.CheckEgress(r.Context(), p.Actor(), forewarn.Egress{Path: forewarn.EgressProgram, MessageID: m.ID, Marks: m.Marks, Originator: m.From})
	if err == nil {
		return viewOf(sm), nil
	}
	if forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		return nil, err
	}
	shell := &forewarn.Message{ID: m.ID, Version: m.Version, From: m.From, To: m.To, Created: m.Created, Kind: m.Kind, InReplyTo: m.InReplyTo, Marks: m.Marks}
	v := viewOf(&forewarn.StoredMessage{Message: shell, Direction: sm.Direction, StoredAt: sm.StoredAt, Priority: sm.Priority, Deliveries: sm.Deliveries, WireID: sm.WireID})
	v.Withheld = forewarn.ErrorMessage(err)
	return v, err
}

// programViews is programView for a list: what a program may not receive is in it
// without its content.
func (s *Server) programViews(r *http.Request, p *forewarn.Principal, list []*forewarn.StoredMessage) ([]*MessageView, error) {
	out := []*MessageView{}
	for _, sm := range list {
		v, err := s.programView(r, p, sm)
		if err != nil && forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// programGate is the egress gate for an answer to p when p is another program's token,
// and nil for a person: every answer that carries personal data passes through it, so a
// program gets from subjects, timelines, networks, matches, alerts and searches only what
// the marks of the messages they came from let out to programs (each refusal audited).
func (s *Server) programGate(p *forewarn.Principal) *app.EgressGate {
	if p == nil || !p.Program {
		return nil
	}
	return s.Node.EgressGate(p.Actor(), forewarn.EgressProgram)
}
