package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/match"
)

// messageRow is one line of a message list.
type messageRow struct {
	SM         *forewarn.StoredMessage
	ID         string
	Kind       forewarn.MessageKind
	Title      string
	Peer       string // the sender of a received message, the recipients of a sent one
	PeerFmt    string // Peer as a catalogue key, "from %s" or "to %s", with PeerCodes
	PeerCodes  string
	Created    time.Time
	Deadline   time.Time
	Priority   forewarn.Priority
	TLP        forewarn.TLP
	Raised     bool // the effective priority is above the sender's
	Holds      bool
	Deliveries []deliveryView
	Overdue    time.Time // the earliest deadline of its overdue, unacknowledged deliveries; zero when none
	Owner      string    // who owns a received message here
	Subjects   []subjectRef
	Next       string    // what happens next: "escalates to supervisors"
	NextAt     time.Time // and when
	Now        time.Time // the node's time, for relative times
}

// subjectRef names a subject this node holds, with its page.
type subjectRef struct{ ID, Name string }

// deliveryView is a delivery's status in words, with a class for its colour.
type deliveryView struct {
	Agency string
	Status string
	Class  string // ok, pending, late
	Label  string // the word beside the colour: acknowledged, read, open, overdue
}

func viewDelivery(l *locale, d *forewarn.Delivery) deliveryView {
	v := deliveryView{Agency: d.Agency, Status: deliveryStatus(l, d)}
	switch {
	case d.Actioned():
		v.Class, v.Label = "ok", msg("acknowledged")
	case !d.Overdue.IsZero():
		v.Class, v.Label = "late", msg("overdue")
	case d.Direction == forewarn.DirectionOut && !d.Delivered():
		v.Class, v.Label = "pending", msg("not delivered")
	case !d.ReadAt.IsZero():
		v.Class, v.Label = "pending", msg("read")
	default:
		v.Class, v.Label = "pending", msg("open")
	}
	return v
}

func rowOf(l *locale, sm *forewarn.StoredMessage) messageRow {
	m := sm.Message
	row := messageRow{SM: sm, ID: m.ID, Kind: m.Kind, Title: messageTitle(l, m), Created: m.Created, Priority: sm.Priority, TLP: m.Marks.TLP,
		Raised: sm.Priority != m.DeclaredPriority(), Holds: sm.HoldsPerson, Deadline: m.Deadline()}
	if sm.Direction == forewarn.DirectionIn {
		row.Peer = "from " + m.From
		row.PeerFmt, row.PeerCodes = msg("from %s"), m.From
	} else {
		row.Peer = "to " + strings.Join(m.To, ", ")
		row.PeerFmt, row.PeerCodes = msg("to %s"), strings.Join(m.To, ", ")
	}
	if sm.Direction == forewarn.DirectionIn && len(sm.Deliveries) > 0 {
		row.Owner = sm.Deliveries[0].Owner
		// Here the deadline is this node's: it follows the effective priority.
		if dl := sm.Deliveries[0].Deadline; !dl.IsZero() {
			row.Deadline = dl
		}
	}
	if sm.HoldsPerson {
		seen := map[string]bool{}
		for _, x := range sm.Matches {
			if x.SubjectID == "" || x.Status == forewarn.MatchRejected || seen[x.SubjectID] {
				continue
			}
			seen[x.SubjectID] = true
			row.Subjects = append(row.Subjects, subjectRef{ID: x.SubjectID, Name: viewMatch(x, "").X.Candidate})
		}
	}
	for _, d := range sm.Deliveries {
		dv := viewDelivery(l, d)
		if m.Kind == forewarn.KindAcknowledgement {
			// An acknowledgement is itself never acknowledged: say only whether it arrived.
			dv.Status, _, _ = strings.Cut(deliveryStatus(l, d), ", ")
			dv.Class, dv.Label = "ok", msg("delivered")
			if !d.Delivered() {
				dv.Class, dv.Label = "pending", msg("not delivered")
			}
		}
		row.Deliveries = append(row.Deliveries, dv)
		// Since the deadline, as Delivery.Status says it: the escalation that marked it
		// overdue fires on the scheduler's tick, a little later.
		if !d.Overdue.IsZero() && !d.Actioned() && (row.Overdue.IsZero() || d.Deadline.Before(row.Overdue)) {
			row.Overdue = d.Deadline
		}
	}
	return row
}

// timed fills what a row says relative to now: what the escalation policy does next to
// its open deliveries, and when.
func (s *Server) timed(l *locale, row *messageRow) {
	row.Now = s.Node.Clock.Now()
	if s.Messages == nil {
		return
	}
	for _, d := range row.SM.Deliveries {
		if d.Actioned() || d.NextEscalation.IsZero() {
			continue
		}
		side := forewarn.SideSender
		if d.Direction == forewarn.DirectionIn {
			side = forewarn.SideRecipient
		}
		if text := nextStepText(l, s.Messages.Policy, side, d.Escalated, d.Owner); text != "" && (row.NextAt.IsZero() || d.NextEscalation.Before(row.NextAt)) {
			row.Next, row.NextAt = text, d.NextEscalation
			if side == forewarn.SideSender && len(row.SM.Deliveries) > 1 {
				row.Next += " (" + d.Agency + ")"
			}
		}
	}
}

func messageTitle(l *locale, m *forewarn.Message) string {
	switch {
	case m.Notification != nil:
		return m.Notification.Summary
	case m.Request != nil:
		return m.Request.Subject
	case m.Response != nil:
		return firstLine(m.Response.Answer)
	case m.Ack != nil:
		s := l.T("Acknowledgement: %s", l.T(label(m.Ack.Stage)))
		if m.Ack.Outcome != "" {
			s += " (" + l.T(label(m.Ack.Outcome)) + ")"
		}
		return s
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// listPage is an inbox, outbox or overdue board.
type listPage struct {
	Heading string
	Intro   string
	Path    string
	Filter  listFilter
	Rows    []messageRow
	Table   msgTable
	Total   int
	Offset  int
	Pager   pager
	Peers   []*forewarn.Peer
	Kinds   []forewarn.MessageKind
	// Purpose, when a row names the subject a person matched, says why the list was
	// opened; without a purpose the rows say "you hold this person" without naming whom.
	Purpose *listPurpose
}

// listFilter is the list's filter form, as the user filled it.
type listFilter struct {
	Kind       string
	Peer       string
	Overdue    bool
	Unactioned bool
	Mine       bool   // only messages the user owns
	Sort       string // deadline (most urgent first), -deadline, date (oldest first) or -date
}

// messageOrders are the orders a message list's headers offer, each an index walk.
var messageOrders = map[string]forewarn.MessageSort{
	"deadline": forewarn.SortUrgent, "-deadline": forewarn.SortLeastUrgent,
	"date": forewarn.SortOldest, "-date": forewarn.SortNewest,
}

// msgTable is a table of messages; Headers sort it, or it has plain headings when nil.
type msgTable struct {
	Rows    []messageRow
	Headers []header
}

func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request, a *access) {
	s.messageList(w, r, a, forewarn.DirectionIn, msg("Inbox"), msg("Messages partner agencies sent to this node."))
}

func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request, a *access) {
	s.messageList(w, r, a, forewarn.DirectionOut, msg("Outbox"), msg("Messages this node sent, with each recipient's delivery and acknowledgement."))
}

// handleOverdue is the overdue board: messages on either side whose deadline passed
// without an acknowledgement, longest overdue first within the page.
func (s *Server) handleOverdue(w http.ResponseWriter, r *http.Request, a *access) {
	s.messageList(w, r, a, "", msg("Overdue"), msg("Warnings and requests whose deadline passed without an acknowledgement: those we owe an answer and those we wait for."))
}

func (s *Server) messageList(w http.ResponseWriter, r *http.Request, a *access, dir forewarn.Direction, heading, intro string) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(offset, 0)
	lf := listFilter{Kind: q.Get("kind"), Peer: q.Get("peer"), Overdue: q.Get("overdue") == "1", Unactioned: q.Get("unactioned") == "1",
		Mine: q.Get("mine") == "1", Sort: q.Get("sort")}
	overdueBoard := heading == "Overdue"
	if overdueBoard {
		lf.Overdue = true
	}
	// Where a person decides what to do next (the inbox, the overdue board), the most
	// urgent comes first: overdue, then by deadline, then by effective priority.
	switch lf.Sort {
	case "urgency": // the orders' names before the headers sorted
		lf.Sort = "deadline"
	case "newest":
		lf.Sort = "-date"
	case "":
		lf.Sort = "-date"
		if dir == forewarn.DirectionIn || overdueBoard {
			lf.Sort = "deadline"
		}
	}
	order, ok := messageOrders[lf.Sort]
	if !ok {
		s.fail(w, r, a, forewarn.Invalid("sort", "enum", "unknown order %q (deadline, -deadline, date or -date)", lf.Sort))
		return
	}
	f := forewarn.MessageFilter{Direction: dir, Kind: forewarn.MessageKind(lf.Kind), Peer: lf.Peer, Overdue: lf.Overdue, Unactioned: lf.Unactioned,
		Sort: order, Offset: offset, Limit: pageSize}
	if lf.Mine {
		f.Owner = a.Principal.Username
	}
	ctx, lp, err := s.listConsult(r, a, "message.list", "message", r.URL.Path)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	list, total, err := s.Node.Store.Messages(ctx, f)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	peers, err := s.Node.Store.Peers(ctx)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg := listPage{Heading: heading, Intro: intro, Path: r.URL.Path, Filter: lf, Total: total, Offset: offset, Peers: peers,
		Kinds: []forewarn.MessageKind{forewarn.KindRequest, forewarn.KindNotification, forewarn.KindResponse, forewarn.KindAcknowledgement}}
	named := false // whether a row names the subject a person matched
	for _, sm := range list {
		row := rowOf(localeOf(r.Context()), sm)
		s.timed(localeOf(r.Context()), &row)
		for i := range row.Subjects {
			named = true
			if lp.Withheld {
				row.Subjects[i].Name = "" // "You hold this person", without saying who
			}
		}
		pg.Rows = append(pg.Rows, row)
	}
	if named {
		pg.Purpose = &lp
	}
	if !lp.Withheld {
		if err := s.Node.AuditShown(ctx, a.Principal.Actor(), "message.list", "message", app.MessagesWithPersons(list...), heading+" showed messages naming persons"); err != nil {
			s.fail(w, r, a, err)
			return
		}
	}
	pg.Pager = pageOf(r.URL, offset, len(list), total)
	dated := msg("Message, received")
	if dir == forewarn.DirectionOut {
		dated = msg("Message, sent")
	} else if dir == "" {
		dated = msg("Message, date")
	}
	pg.Table = msgTable{Rows: pg.Rows, Headers: sortHeaders(r.URL, lf.Sort, []column{
		{Label: msg("Priority")}, {Label: msg("Kind")}, {Label: dated, Key: "date", First: "-date"}, {Label: msg("Peer")},
		{Label: msg("Deadline"), Key: "deadline"}, {Label: msg("Status")}})}
	s.render(w, r, a, http.StatusOK, "messages", heading, pg)
}

// matchView is a match with its explanation decoded for the table.
type matchView struct {
	M           *forewarn.Match
	X           match.Explanation
	PersonName  string
	Target      string // what it matched: a subject, or a person in an earlier message
	TargetFmt   string // Target as a catalogue key with TargetName
	TargetName  string
	TargetHref  string
	Reviewable  bool
	ReviewError string
	// SameAs is the earlier confirmed match of the same subject this one repeats, proposed
	// for a one-click confirmation; SameAsReason is the reason that confirmation records.
	SameAs       *forewarn.Match
	SameAsName   string // the message the earlier match was in
	SameAsReason string
}

func viewMatch(m *forewarn.Match, personName string) matchView {
	v := matchView{M: m, PersonName: personName, Reviewable: m.Status == forewarn.MatchPending && m.SubjectID != ""}
	if len(m.Explanation) > 0 {
		json.Unmarshal(m.Explanation, &v.X)
	}
	switch {
	case m.SubjectID != "":
		v.Target, v.TargetHref = "your subject "+quoteName(v.X.Candidate), "/subjects/"+m.SubjectID
		v.TargetFmt, v.TargetName = msg("your subject %s"), quoteName(v.X.Candidate)
	case m.EarlierMessageID != "":
		v.Target, v.TargetHref = "a person in an earlier message ("+quoteName(v.X.Candidate)+")", "/messages/"+m.EarlierMessageID
		v.TargetFmt, v.TargetName = msg("a person in an earlier message (%s)"), quoteName(v.X.Candidate)
	}
	return v
}

func quoteName(s string) string {
	if s == "" {
		return msg("(unnamed)")
	}
	return "“" + s + "”"
}

// messagePage is everything the message page shows.
type messagePage struct {
	Row         messageRow
	M           *forewarn.Message
	Incoming    bool
	Arrived     time.Time // when this node received it (incoming only)
	Late        string    // "3 weeks after it was written", when it arrived late
	Body        string
	Questions   string
	Persons     []forewarn.PersonDescriptor
	Thread      []messageRow
	Matches     []matchView
	Related     []app.RelatedMessage
	Escalations []*forewarn.Escalation
	Banner      messageBanner
	ReplyTo     string            // the name of the message this one answers
	Names       map[string]string // message ID → name, for the messages this page links to
	CanAck      bool
	CanTake     bool     // "I take it"
	CanRelease  bool     // give it back to the desk
	Assignees   []string // whom a supervisor may assign it to
	Actioned    bool
	Read        bool
	Ack         ackForm
	Outcomes    []string
	Done        string
	Consent     *consentView     // the third-party rule: consent to answer, forwards (web/consent.go)
	Purpose     forewarn.Purpose // why the persons were opened, for a received message naming them
	// Review is the match an alert sent the user here to review: its review goes back to
	// the alerts, which say the decision closed the alert.
	Review string
}

// lateArrival is how long after it was written a message may arrive before its page says
// it came late: longer than a delivery's retries take through a short outage.
const lateArrival = time.Hour

// ackForm is the acknowledgement form as filled, with its errors.
type ackForm struct {
	Outcome string
	Reason  string
	Errors  map[string]string
	Error   string
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request, a *access) {
	s.showMessage(w, r, a, http.StatusOK, ackForm{})
}

func (s *Server) showMessage(w http.ResponseWriter, r *http.Request, a *access, status int, form ackForm) {
	ctx := r.Context()
	sm, err := s.Node.Store.Message(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	var purpose forewarn.Purpose
	if app.PersonsNeedPurpose(sm) {
		// Persons another agency sent are opened for a purpose, as a subject is.
		c, pu, ok := s.messagePurpose(w, r, a, sm.Message.ID)
		if !ok {
			return
		}
		ctx, purpose = c, pu
	}
	if err := s.Node.AuditShown(ctx, a.Principal.Actor(), "message.read", "message", app.MessagesWithPersons(sm), "the message page, with the persons it names and their matches"); err != nil {
		s.fail(w, r, a, err)
		return
	}
	m := sm.Message
	row := rowOf(localeOf(r.Context()), sm)
	s.timed(localeOf(r.Context()), &row)
	// an error naming this message by its ID names it by its title
	form.Error = localeOf(r.Context()).named(form.Error, map[string]string{m.ID: row.Title})
	pg := messagePage{Row: row, M: m, Incoming: sm.Direction == forewarn.DirectionIn, Persons: m.Persons(), Purpose: purpose, Ack: form, Done: r.URL.Query().Get("done"),
		Outcomes: []string{forewarn.OutcomeActionTaken, forewarn.OutcomeNoAction, forewarn.OutcomeForwarded, forewarn.OutcomeNotKnown, forewarn.OutcomeDuplicate}}
	if id := r.URL.Query().Get("review"); looksLikeID(id) {
		pg.Review = id
	}
	if pg.Incoming {
		// What the receipt proves is the arrival; a message held in its sender's outbox
		// through a long partition arrives late, and says so beside the time it claims.
		pg.Arrived = sm.StoredAt
		if late := sm.StoredAt.Sub(m.Created); late > lateArrival {
			pg.Late = localeOf(r.Context()).T("%s after it was written", localeOf(r.Context()).Ago(late))
		}
	}
	switch {
	case m.Notification != nil:
		pg.Body = m.Notification.Summary
	case m.Request != nil:
		pg.Body, pg.Questions = m.Request.Subject, m.Request.Questions
	case m.Response != nil:
		pg.Body = m.Response.Answer
	case m.Ack != nil:
		pg.Body = m.Ack.Reason
	}
	if pg.Incoming && m.Kind != forewarn.KindAcknowledgement {
		if d := firstDelivery(sm); d != nil {
			pg.Actioned, pg.Read = d.Actioned(), !d.ReadAt.IsZero()
		}
		pg.CanAck = a.Principal.Can(forewarn.PermAckMessages) && !pg.Actioned
		pg.CanTake = pg.CanAck && pg.Row.Owner != a.Principal.Username
		pg.CanRelease = pg.CanAck && pg.Row.Owner != "" && (pg.Row.Owner == a.Principal.Username || a.Principal.HasRole(forewarn.RoleSupervisor))
		if pg.CanAck && a.Principal.HasRole(forewarn.RoleSupervisor) {
			users, err := s.Node.Store.Users(ctx)
			if err != nil {
				s.fail(w, r, a, err)
				return
			}
			for _, u := range users {
				if !u.Disabled && (&forewarn.Principal{Username: u.Username, Roles: u.Roles}).Can(forewarn.PermAckMessages) {
					pg.Assignees = append(pg.Assignees, u.Username)
				}
			}
		}
	}
	root, err := s.threadRoot(ctx, m)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	thread, _, err := s.Node.Store.Messages(ctx, forewarn.MessageFilter{Thread: root, Limit: 100})
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if len(thread) > 1 {
		for i := len(thread) - 1; i >= 0; i-- { // oldest first reads as a conversation
			row := rowOf(localeOf(r.Context()), thread[i])
			s.timed(localeOf(r.Context()), &row)
			pg.Thread = append(pg.Thread, row)
		}
	}
	names := map[string]string{}
	for _, p := range pg.Persons {
		names[p.Ref] = (&p).DisplayName()
	}
	for _, x := range sm.Matches {
		pg.Matches = append(pg.Matches, viewMatch(x, names[x.PersonRef]))
	}
	if err := s.proposeSame(ctx, pg.Matches); err != nil {
		s.fail(w, r, a, err)
		return
	}
	if pg.Related, err = s.Node.Related(ctx, m.ID); err != nil {
		s.fail(w, r, a, err)
		return
	}
	if pg.Escalations, err = s.Node.Store.Escalations(ctx, m.ID); err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Banner = bannerOf(m, pg.Matches, pg.Related)
	pg.Names = map[string]string{}
	for _, p := range pg.Persons {
		for _, l := range p.Links {
			if l.Message != "" {
				pg.Names[l.Message] = s.messageName(ctx, l.Message)
			}
		}
	}
	if m.InReplyTo != "" {
		pg.ReplyTo = s.messageName(ctx, m.InReplyTo)
	}
	pg.Consent = s.consentOf(ctx, a, sm)
	s.render(w, r, a, status, "message", messageTitle(localeOf(ctx), m), pg)
}

func firstDelivery(sm *forewarn.StoredMessage) *forewarn.Delivery {
	if len(sm.Deliveries) == 0 {
		return nil
	}
	return sm.Deliveries[0]
}

// threadRoot follows a message's replies back to the first one this node holds, which is
// how the store roots threads; a parent it never held is the root itself.
func (s *Server) threadRoot(ctx context.Context, m *forewarn.Message) (string, error) {
	cur := m
	for range 50 {
		if cur.InReplyTo == "" {
			return cur.ID, nil
		}
		parent, err := s.Node.Store.Message(ctx, cur.InReplyTo)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return cur.InReplyTo, nil
		}
		if err != nil {
			return "", err
		}
		cur = parent.Message
	}
	return cur.ID, nil
}

func (s *Server) messagesReady(w http.ResponseWriter, r *http.Request, a *access) bool {
	if s.Messages == nil {
		s.fail(w, r, a, forewarn.Errorf(forewarn.EINTERNAL, "this node does not exchange messages"))
		return false
	}
	return true
}

// handleMarkRead records that a person has read a received message and tells its sender.
func (s *Server) handleMarkRead(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id := r.PathValue("id")
	by, _ := httpapi.Disclose(a.Principal, "")
	if _, err := s.Messages.Acknowledge(r.Context(), a.Principal.Actor(), id, forewarn.Acknowledgement{Stage: forewarn.AckRead, By: by}); err != nil {
		s.showMessage(w, r, a, httpStatus(err), ackForm{Error: errText(r.Context(), err)})
		return
	}
	redirect(w, r, "/messages/"+id+"?done=read")
}

// handleAcknowledge records the decision on a received message (outcome and reason are
// required) and sends the acknowledgement to its sender, which stops the escalation.
func (s *Server) handleAcknowledge(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id := r.PathValue("id")
	form := ackForm{Outcome: strings.TrimSpace(r.PostFormValue("outcome")), Reason: strings.TrimSpace(r.PostFormValue("reason")), Errors: map[string]string{}}
	if form.Outcome == "" {
		form.Errors["outcome"] = msg("Choose the outcome.")
	}
	if form.Reason == "" {
		form.Errors["reason"] = msg("Give the reason: what you decided and why.")
	}
	if len(form.Errors) > 0 {
		s.showMessage(w, r, a, http.StatusBadRequest, form)
		return
	}
	by, err := httpapi.Disclose(a.Principal, r.PostFormValue("disclose"))
	if err != nil {
		form.Error = errText(r.Context(), err)
		s.showMessage(w, r, a, http.StatusBadRequest, form)
		return
	}
	_, err = s.Messages.Acknowledge(r.Context(), a.Principal.Actor(), id, forewarn.Acknowledgement{Stage: forewarn.AckActioned, Outcome: form.Outcome, Reason: form.Reason, By: by})
	if err != nil {
		if fe := fieldError(err); fe != nil && strings.HasPrefix(fe.Field, "ack.") {
			form.Errors[strings.TrimPrefix(fe.Field, "ack.")] = fe.Message
		} else {
			form.Error = errText(r.Context(), err)
		}
		s.showMessage(w, r, a, httpStatus(err), form)
		return
	}
	redirect(w, r, "/messages/"+id+"?done=ack")
}

// handleAssign takes a received message for the user ("I take it"), or, for a supervisor,
// assigns it to someone; release gives it back to the desk.
func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id := r.PathValue("id")
	owner := strings.TrimSpace(r.PostFormValue("username"))
	switch {
	case r.PostFormValue("release") == "1":
		owner = ""
	case owner == "":
		owner = a.Principal.Username
	}
	if _, err := s.Messages.Assign(r.Context(), a.Principal, id, owner); err != nil {
		switch forewarn.ErrorCode(err) {
		case forewarn.EFORBIDDEN:
			s.refuse(w, r, a, forewarn.ErrorMessage(err), errText(r.Context(), err))
		case forewarn.EINVALID:
			s.showMessage(w, r, a, http.StatusBadRequest, ackForm{Error: errText(r.Context(), err)})
		default:
			s.fail(w, r, a, err)
		}
		return
	}
	redirect(w, r, "/messages/"+id+"?done=assigned")
}

// alertView is an alert with the message it is about, so the page names the message and
// shows its handling marks.
type alertView struct {
	*forewarn.Alert
	Message  *forewarn.Message
	Incoming bool // the message was received: acknowledging it is this node's answer
	Withheld bool // the text names persons, and the list was opened without a purpose
	// Review is the match an analysts' match alert asks to review, when the user may
	// review it: deciding it (web/subjects.go reviewMatch) is what closes the alert.
	Review *matchView
}

type alertsPage struct {
	Alerts     []alertView
	Kind       string // only alerts of this kind (escalation, match), when set
	Sort       string // -created (newest first) or created
	Orders     []header
	Pager      pager
	Bounded    bool // more alerts are open than the page reads: the count is a lower bound
	CanResolve bool
	CanAck     bool
	Outcomes   []string // the reasons a desk may give for not acknowledging
	CanKeep    bool     // the user keeps or erases items at their retention review
	Failed     string   // the alert whose answer was refused, and why
	Error      string
	Done       bool
	Purpose    *listPurpose // when an alert names persons: why the list was opened
	// Reviewed is the match just decided from this page or from a message the page led
	// to: its decision closed its alert, which the page says.
	Reviewed *reviewedMatch
}

// reviewedMatch is a match decision the alerts page reports after its redirect.
type reviewedMatch struct {
	Status  forewarn.MatchStatus
	Message string // the message's name, as lists write it
	Href    string // the decision, on the message's page
}

// handleResolveAlert closes an alert for one of the user's desks without acknowledging its
// message: the reason is required, and on a received message it travels to the sender as
// a read-stage acknowledgement. There is no "dealt with" without one.
func (s *Server) handleResolveAlert(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id := r.PathValue("id")
	ans := httpapi.AlertAnswer{Outcome: strings.TrimSpace(r.PostFormValue("outcome")), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Disclose: r.PostFormValue("disclose")}
	if _, err := httpapi.ResolveAlert(r, s.Messages, a.Principal, id, ans); err != nil {
		switch forewarn.ErrorCode(err) {
		case forewarn.EFORBIDDEN:
			s.refuse(w, r, a, forewarn.ErrorMessage(err), errText(r.Context(), err))
		case forewarn.EINVALID, forewarn.ECONFLICT:
			s.showAlerts(w, r, a, httpStatus(err), id, errText(r.Context(), err))
		default:
			s.fail(w, r, a, err)
		}
		return
	}
	redirect(w, r, "/alerts?done=1")
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request, a *access) {
	s.showAlerts(w, r, a, http.StatusOK, "", "")
}

// showAlerts lists the open alerts for the user's roles, newest first; failed and why say
// which answer was refused.
func (s *Server) showAlerts(w http.ResponseWriter, r *http.Request, a *access, status int, failed, why string) {
	seen := map[string]bool{}
	pg := alertsPage{CanResolve: a.Principal.Can(forewarn.PermResolveAlerts), CanAck: a.Principal.Can(forewarn.PermAckMessages),
		CanKeep:  a.Principal.Can(forewarn.PermRetention),
		Outcomes: []string{forewarn.OutcomeForwarded, forewarn.OutcomeDuplicate, forewarn.OutcomeNoAction, forewarn.OutcomeNotKnown},
		Failed:   failed, Error: why, Done: r.URL.Query().Get("done") == "1"}
	if r.Method == http.MethodGet {
		if done := forewarn.MatchStatus(r.URL.Query().Get("done")); done == forewarn.MatchConfirmed || done == forewarn.MatchRejected {
			if m, err := s.Node.Store.Match(r.Context(), r.URL.Query().Get("match")); err == nil && m.Status == done {
				pg.Reviewed = &reviewedMatch{Status: done, Message: s.messageName(r.Context(), m.MessageID), Href: "/messages/" + m.MessageID + "#match-" + m.ID}
			}
		}
	}
	ctx, lp, err := s.listConsult(r, a, "alert.list", "message", "/alerts")
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	mine, err := s.Node.Store.UserAlerts(r.Context(), a.Principal.Username, maxAlertCount)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	lists := [][]*forewarn.Alert{mine}
	for _, role := range a.Principal.Roles {
		as, err := s.Node.Store.Alerts(r.Context(), role, maxAlertCount)
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		lists = append(lists, as)
	}
	for _, as := range lists {
		for _, al := range as {
			if !seen[al.ID] {
				seen[al.ID] = true
				pg.Alerts = append(pg.Alerts, alertView{Alert: al})
			}
		}
	}
	// Each list is bounded (maxAlertCount a desk), so sorting, filtering and paging them
	// here stays cheap however many alerts the store holds.
	u := r.URL
	if r.Method != http.MethodGet { // a refused answer: the list as it first shows
		u = &url.URL{Path: "/alerts"}
	}
	q := u.Query()
	pg.Kind, pg.Sort = q.Get("kind"), q.Get("sort")
	if pg.Sort != "created" {
		pg.Sort = "-created"
	}
	for _, as := range lists {
		pg.Bounded = pg.Bounded || len(as) >= maxAlertCount
	}
	if pg.Kind != "" {
		pg.Alerts = slices.DeleteFunc(pg.Alerts, func(v alertView) bool { return string(v.Kind) != pg.Kind })
	}
	slices.SortStableFunc(pg.Alerts, func(x, y alertView) int {
		if pg.Sort == "created" {
			return x.CreatedAt.Compare(y.CreatedAt)
		}
		return y.CreatedAt.Compare(x.CreatedAt)
	})
	pg.Orders = sortHeaders(u, pg.Sort, []column{{Label: msg("Date"), Key: "created", First: "-created"}})
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = min(max(offset, 0), len(pg.Alerts))
	total := len(pg.Alerts)
	pg.Alerts = pg.Alerts[offset:min(offset+pageSize, total)]
	pg.Pager = pageOf(u, offset, len(pg.Alerts), total)
	msgs := map[string]*forewarn.StoredMessage{}
	for i, al := range pg.Alerts {
		if al.MessageID == "" {
			continue
		}
		sm, ok := msgs[al.MessageID]
		if !ok {
			var err error
			sm, err = s.Node.Store.Message(r.Context(), al.MessageID)
			if err != nil && forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
				s.fail(w, r, a, err)
				return
			}
			msgs[al.MessageID] = sm
		}
		if sm != nil {
			pg.Alerts[i].Message, pg.Alerts[i].Incoming = sm.Message, sm.Direction == forewarn.DirectionIn
		}
	}
	if err := s.alertReviews(ctx, a, pg.Alerts); err != nil {
		s.fail(w, r, a, err)
		return
	}
	var named []string // the messages whose persons the alerts name
	for i, al := range pg.Alerts {
		if app.AlertNamesPersons(al.Alert) {
			pg.Purpose = &lp
			pg.Alerts[i].Withheld = lp.Withheld
			if !lp.Withheld && al.MessageID != "" && !slices.Contains(named, al.MessageID) {
				named = append(named, al.MessageID)
			}
		}
	}
	if err := s.Node.AuditShown(ctx, a.Principal.Actor(), "alert.list", "message", named, "the alerts showed the persons of matches"); err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.render(w, r, a, status, "alerts", msg("Alerts"), pg)
}

// alertReviews finds the match each analysts' match alert asks to review, for a user who
// reviews matches, and proposes the earlier confirmation a repeated match can follow in
// one click. Only the analysts' alert closes with the review (sqlstore decide); the other
// desks' alerts on a watch-listed person wait for the message's acknowledgement.
func (s *Server) alertReviews(ctx context.Context, a *access, alerts []alertView) error {
	if !a.Principal.Can(forewarn.PermReviewMatches) {
		return nil
	}
	for i, al := range alerts {
		if al.Kind != "match" || al.Role != forewarn.RoleAnalyst || al.MessageID == "" || al.SubjectID == "" || al.Message == nil {
			continue
		}
		ms, _, err := s.Node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: al.MessageID, SubjectID: al.SubjectID, Limit: 10})
		if err != nil {
			return err
		}
		var pick *forewarn.Match
		for _, m := range ms {
			if pick == nil || m.Status == forewarn.MatchPending && pick.Status != forewarn.MatchPending {
				pick = m
			}
		}
		if pick == nil {
			continue
		}
		views := []matchView{viewMatch(pick, "")}
		if err := s.proposeSame(ctx, views); err != nil {
			return err
		}
		alerts[i].Review = &views[0]
	}
	return nil
}

// messageBanner is what the first screen of a message says before anything else: which of
// the agency's subjects it names, how sure the match is and where its review stands, and
// how many earlier warnings about the same person still wait for an answer.
type messageBanner struct {
	Subjects   []matchView
	ToldBefore []app.RelatedMessage // earlier received warnings about the same person, unanswered
}

// bannerOf picks the best match per subject (rejected ones never show) and the earlier
// unanswered warnings among the related messages.
func bannerOf(m *forewarn.Message, matches []matchView, related []app.RelatedMessage) messageBanner {
	var b messageBanner
	best := map[string]int{}
	for _, v := range matches {
		if v.M.SubjectID == "" || v.M.Status == forewarn.MatchRejected {
			continue
		}
		if i, ok := best[v.M.SubjectID]; ok {
			if v.M.Score > b.Subjects[i].M.Score {
				b.Subjects[i] = v
			}
			continue
		}
		best[v.M.SubjectID] = len(b.Subjects)
		b.Subjects = append(b.Subjects, v)
	}
	for _, rm := range related {
		if rm.Direction == forewarn.DirectionIn && rm.Message.Kind == forewarn.KindNotification && !rm.Answered && rm.Message.Created.Before(m.Created) {
			b.ToldBefore = append(b.ToldBefore, rm)
		}
	}
	return b
}

// messageName names a message this node holds by its sender, kind, day and first words;
// "" when it does not hold it.
func (s *Server) messageName(ctx context.Context, id string) string {
	sm, err := s.Node.Store.Message(ctx, id)
	if err != nil {
		return ""
	}
	return messageName(localeOf(ctx), sm.Message)
}

// proposeSame finds, for each match waiting for review, an earlier confirmed match of the
// same subject in a message received from a partner, so the page proposes "same as the
// match confirmed on 15 Dec 2014" with one click, rather than the same review again. One
// about the same description (its fingerprint) is preferred; links of this node's own
// messages are never a precedent.
func (s *Server) proposeSame(ctx context.Context, views []matchView) error {
	cache := map[string][]*forewarn.Match{}
	for i := range views {
		v := &views[i]
		if !v.Reviewable {
			continue
		}
		confirmed, ok := cache[v.M.SubjectID]
		if !ok {
			list, _, err := s.Node.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: v.M.SubjectID, Status: forewarn.MatchConfirmed, Limit: 50})
			if err != nil {
				return err
			}
			for _, c := range list {
				if sm, err := s.Node.Store.Message(ctx, c.MessageID); err == nil && sm.Direction == forewarn.DirectionIn {
					confirmed = append(confirmed, c)
				}
			}
			cache[v.M.SubjectID] = confirmed
		}
		var best *forewarn.Match
		for _, c := range confirmed {
			if c.ID == v.M.ID || c.MessageID == v.M.MessageID {
				continue
			}
			if best == nil || (c.Fingerprint == v.M.Fingerprint && best.Fingerprint != v.M.Fingerprint) ||
				(c.Fingerprint == v.M.Fingerprint) == (best.Fingerprint == v.M.Fingerprint) && c.DecidedAt.After(best.DecidedAt) {
				best = c
			}
		}
		if best == nil {
			continue
		}
		v.SameAs = best
		v.SameAsName = s.messageName(ctx, best.MessageID)
		v.SameAsReason = localeOf(ctx).T("Same person as the match confirmed on %s by %s", localeOf(ctx).Date(best.DecidedAt), best.DecidedBy)
		if best.Reason != "" {
			v.SameAsReason += ": " + best.Reason
		}
	}
	return nil
}
