package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// page is the envelope of every list the API returns.
type page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
	// Withheld, in an answer to another program, says what was left out of the items and
	// the mark that kept it in.
	Withheld []app.Withheld `json:"withheld,omitempty"`
	// PersonsWithheld, on a list of messages read without a purpose, says how many
	// received messages are in it without the persons they name, and how to see them.
	PersonsWithheld string `json:"persons_withheld,omitempty"`
	// DetailsWithheld, on a list read without a purpose, says what it leaves out that
	// would name persons, and how to see it.
	DetailsWithheld string `json:"details_withheld,omitempty"`
}

// personsWithheld is what a list says when n received messages in it lack their persons.
func personsWithheld(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d received messages are listed without the persons they name: give purpose (and purpose_text where it needs one) to see them; GET /api/v1/purposes lists them", n)
}

// Page sizes of API lists.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

func parsePage(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			return 0, 0, forewarn.Invalid("limit", "range", "limit must be a whole number from 1 to %d", maxLimit)
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, forewarn.Invalid("offset", "range", "offset must be a whole number, 0 or more")
		}
	}
	return offset, limit, nil
}

// decodeJSON reads a JSON request body strictly: bounded, one value, no unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBodyBytes+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return forewarn.Errorf(forewarn.EINVALID, "the request body is empty; it must be JSON")
		case errors.As(err, &syn):
			return forewarn.Errorf(forewarn.EINVALID, "the request body is not valid JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ):
			return forewarn.Invalid(typ.Field, "type", "must be %s, not %s", typ.Type, typ.Value)
		}
		return forewarn.Errorf(forewarn.EINVALID, "the request body could not be read: %v", err)
	}
	if dec.More() {
		return forewarn.Errorf(forewarn.EINVALID, "the request body holds more than one JSON value")
	}
	return nil
}

// MessageView is a stored message as the API shows it: the message, each recipient's
// delivery and acknowledgement state in words, and the escalations it caused.
type MessageView struct {
	*forewarn.StoredMessage
	Status      map[string]string      `json:"status"` // agency code → Delivery.Status()
	Escalations []*forewarn.Escalation `json:"escalations,omitempty"`
	// Withheld, on a message shown to another program's token without its content, says
	// which handling mark keeps it in.
	Withheld string `json:"withheld,omitempty"`
}

func viewOf(sm *forewarn.StoredMessage) *MessageView {
	v := &MessageView{StoredMessage: sm, Status: map[string]string{}}
	for _, d := range sm.Deliveries {
		v.Status[d.Agency] = d.Status()
	}
	return v
}

func (s *Server) messagesReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Messages == nil {
		s.writeError(w, r, forewarn.Errorf(forewarn.EINTERNAL, "this node does not exchange messages"))
		return false
	}
	return true
}

func (s *Server) handleListMessages(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	offset, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := forewarn.MessageFilter{
		Direction: forewarn.Direction(q.Get("direction")), Kind: forewarn.MessageKind(q.Get("kind")),
		Peer: q.Get("peer"), Thread: q.Get("thread"),
		Overdue: q.Get("overdue") == "true", Unactioned: q.Get("unactioned") == "true",
		Offset: offset, Limit: limit,
	}
	switch f.Direction {
	case "", forewarn.DirectionIn, forewarn.DirectionOut:
	default:
		s.writeError(w, r, forewarn.Invalid("direction", "enum", "direction must be in or out"))
		return
	}
	list, total, err := s.Messages.Store.Messages(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, withheld, err := s.Node.ShownMessages(r.Context(), list)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.AuditShown(r.Context(), p.Actor(), "message.list", "message", app.MessagesWithPersons(list...), "messages listed with the persons they name"); err != nil {
		s.writeError(w, r, err)
		return
	}
	items, err := s.programViews(r, p, list)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[*MessageView]{Items: items, Total: total, Offset: offset, Limit: limit, PersonsWithheld: personsWithheld(withheld)})
}

func (s *Server) handleSendMessage(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var m forewarn.Message
	if err := decodeJSON(r, &m); err != nil {
		s.writeError(w, r, err)
		return
	}
	if m.Kind == forewarn.KindAcknowledgement {
		// An acknowledgement goes back to the message's sender, with the checks
		// Acknowledge makes; a hand-built one could go elsewhere and leave the sides at odds.
		s.writeError(w, r, forewarn.Invalid("kind", "not_ack", "acknowledge with POST /api/v1/messages/{id}/ack, not by sending an acknowledgement"))
		return
	}
	sm, err := s.Messages.Send(r.Context(), p.Actor(), &m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sm.Encoded == nil {
		writeJSON(w, http.StatusCreated, viewOf(sm))
		return
	}
	// The message was encoded to be sealed, and is not encoded again to be answered.
	writeJSON(w, http.StatusCreated, sentView{Message: sm.Encoded, MessageView: viewOf(sm)})
}

// sentView is the MessageView of a message just sent, with the message as it was
// encoded to be sealed: the same bytes (and members in the same order) as encoding it
// again would give.
type sentView struct {
	Message json.RawMessage `json:"message"`
	*MessageView
}

func (s *Server) handleGetMessage(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	v, err := s.messageView(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if app.PersonsNeedPurpose(v.StoredMessage) && !s.purposeGiven(w, r, p) {
		return
	}
	if _, err := s.programView(r, p, v.StoredMessage); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(v.Message.Persons()) > 0 {
		if err := s.Node.AuditShown(r.Context(), p.Actor(), "message.read", "message", []string{v.Message.ID}, "the message with the persons it names"); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) messageView(r *http.Request, id string) (*MessageView, error) {
	sm, err := s.Messages.Store.Message(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := viewOf(sm)
	v.Escalations, err = s.Messages.Store.Escalations(r.Context(), id)
	return v, err
}

func (s *Server) handleThread(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	sm, err := s.Messages.Store.Message(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.Messages.Store.Messages(r.Context(), forewarn.MessageFilter{Thread: sm.Message.ID, Limit: maxLimit})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, withheld, err := s.Node.ShownMessages(r.Context(), list)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Node.AuditShown(r.Context(), p.Actor(), "message.list", "message", app.MessagesWithPersons(list...), "the thread of "+sm.Message.ID+", with the persons its messages name"); err != nil {
		s.writeError(w, r, err)
		return
	}
	items, err := s.programViews(r, p, list)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[*MessageView]{Items: items, Total: total, Limit: maxLimit, PersonsWithheld: personsWithheld(withheld)})
}

// ackRequest is the body of POST /api/v1/messages/{id}/ack.
type ackRequest struct {
	Stage    forewarn.AckStage `json:"stage"`
	Outcome  string            `json:"outcome"`
	Reason   string            `json:"reason"`
	Disclose string            `json:"disclose,omitempty"` // user (default), desk or agency
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var req ackRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Stage == "" {
		req.Stage = forewarn.AckActioned
	}
	by, err := Disclose(p, req.Disclose)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sm, err := s.Messages.Acknowledge(r.Context(), p.Actor(), r.PathValue("id"), forewarn.Acknowledgement{Stage: req.Stage, Outcome: req.Outcome, Reason: req.Reason, By: by})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewOf(sm))
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	_, limit, err := parsePage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := page[*forewarn.Alert]{Items: []*forewarn.Alert{}, Limit: limit}
	mine, err := s.Messages.Store.UserAlerts(r.Context(), p.Username, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out.Items = append(out.Items, mine...)
	for _, role := range p.Roles {
		alerts, err := s.Messages.Store.Alerts(r.Context(), role, limit)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Items = append(out.Items, alerts...)
	}
	out.Total = len(out.Items)
	if g := s.programGate(p); g != nil {
		if err := g.Alerts(r.Context(), out.Items); err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Withheld = g.Withheld()
	}
	withhold, err := s.Node.SearchDetailsWithheld(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var named []string // the messages whose persons the alerts name
	if withhold {
		var n int
		if out.Items, n = app.WithholdAlerts(out.Items); n > 0 {
			out.DetailsWithheld = fmt.Sprintf("%d alerts are listed without the persons they name: give purpose (and purpose_text where it needs one) to see them; GET /api/v1/purposes lists them", n)
		}
	} else {
		for _, a := range out.Items {
			if app.AlertNamesPersons(a) && a.MessageID != "" && !slices.Contains(named, a.MessageID) {
				named = append(named, a.MessageID)
			}
		}
	}
	if err := s.Node.AuditShown(r.Context(), p.Actor(), "alert.list", "message", named, "the alerts showed the persons of matches"); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// assignRequest is the body of POST /api/v1/messages/{id}/assign.
type assignRequest struct {
	Username string `json:"username"` // the new owner; empty: the caller ("I take it")
	Release  bool   `json:"release,omitempty"`
}

func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	if !s.messagesReady(w, r) {
		return
	}
	var req assignRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	owner := req.Username
	switch {
	case req.Release:
		owner = ""
	case owner == "":
		owner = p.Username
	}
	sm, err := s.Messages.Assign(r.Context(), p, r.PathValue("id"), owner)
	if forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
		s.deny(r, p.Username, err)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(sm))
}

func (s *Server) handleListPeers(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	peers, err := s.Node.Store.Peers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if peers == nil {
		peers = []*forewarn.Peer{}
	}
	writeJSON(w, http.StatusOK, page[*forewarn.Peer]{Items: peers, Total: len(peers), Limit: len(peers)})
}

// AlertAnswer is the body of POST /api/v1/alerts/{id}/resolve: why the alert needs no
// acknowledgement. An alert is closed by acknowledging its message, or by this.
type AlertAnswer struct {
	Outcome  string `json:"outcome,omitempty"`  // forwarded, duplicate, …
	Reason   string `json:"reason"`             // required
	Disclose string `json:"disclose,omitempty"` // user (default), desk or agency: who the sender is told answered
}

// ResolveAlert closes an alert for one of the principal's roles (a desk closes its own
// alerts, not another's) for the reason given, which on a received message travels to
// its sender as a read-stage acknowledgement. Shared by the API and the pages.
func ResolveAlert(r *http.Request, msgs *app.Messages, p *forewarn.Principal, id string, ans AlertAnswer) (*forewarn.Alert, error) {
	a, err := msgs.Store.Alert(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if a.Username != "" && a.Username != p.Username && !p.HasRole(forewarn.RoleSupervisor) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "this alert is for %s, who owns the message", a.Username)
	}
	if a.Username == "" && !p.HasRole(a.Role) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "this alert is for the %s desk, and you do not act as %s", a.Role, a.Role)
	}
	by, err := Disclose(p, ans.Disclose)
	if err != nil {
		return nil, err
	}
	return msgs.AnswerAlert(r.Context(), p.Actor(), id, ans.Outcome, ans.Reason, by)
}

// Disclose returns who an acknowledgement says answered, as the principal chose: the
// user (the default), their desk, or only the agency (nil).
func Disclose(p *forewarn.Principal, choice string) (*forewarn.AckAuthor, error) {
	switch choice {
	case "", forewarn.AuthorUser:
		return &forewarn.AckAuthor{Kind: forewarn.AuthorUser, Name: p.Username}, nil
	case forewarn.AuthorDesk:
		desk := forewarn.RoleLiaison
		if !p.HasRole(desk) && len(p.Roles) > 0 {
			desk = p.Roles[0]
		}
		return &forewarn.AckAuthor{Kind: forewarn.AuthorDesk, Name: string(desk)}, nil
	case forewarn.AuthorAgency:
		return nil, nil
	}
	return nil, forewarn.Invalid("disclose", "enum", "unknown disclosure %q (user, desk or agency)", choice)
}

func (s *Server) handleResolveAlert(w http.ResponseWriter, r *http.Request, p *forewarn.Principal) {
	var ans AlertAnswer
	if err := decodeJSON(r, &ans); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := ResolveAlert(r, s.Messages, p, r.PathValue("id"), ans)
	if forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
		s.deny(r, p.Username, err)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
