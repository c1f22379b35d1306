package app

import (
	"context"
	"slices"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// EgressGate asks CheckEgress, once per message, whether content that came in a received
// message may leave by one way out; each refusal is audited once, however many items of
// one answer came from the message. A gate lives for one answer (one request).
type EgressGate struct {
	n       *Node
	actor   forewarn.Actor
	path    forewarn.EgressPath
	to      string             // the agency receiving it, for a way to another agency
	decided map[string]error   // message ID → its refusal, nil when it may go
	barred  map[string]barring // subject ID → the names it must not show
}

// barring is what a gate keeps of a subject: the sender agencies whose names came into it
// through a message the gate refuses, and the first such refusal.
type barring struct {
	agencies []string
	refusal  error
}

// EgressGate returns a gate for what actor is about to receive by path.
func (n *Node) EgressGate(actor forewarn.Actor, path forewarn.EgressPath) *EgressGate {
	return &EgressGate{n: n, actor: actor, path: path, decided: map[string]error{}, barred: map[string]barring{}}
}

// EgressGateTo returns a gate for what is about to go to agency to by path (forward,
// reply, a private query).
func (n *Node) EgressGateTo(actor forewarn.Actor, path forewarn.EgressPath, to string) *EgressGate {
	g := n.EgressGate(actor, path)
	g.to = to
	return g
}

// Refusal returns the refusal (EFORBIDDEN, its Field the mark) when content from message
// id may not leave by the gate's way out, and nil when it may: always for messages this
// node sent, and for "". err is a failure to decide.
func (g *EgressGate) Refusal(ctx context.Context, id string) (refusal, err error) {
	if id == "" {
		return nil, nil
	}
	if r, ok := g.decided[id]; ok {
		return r, nil
	}
	sm, err := g.n.Store.Message(ctx, id)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		g.decided[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sm.Direction != forewarn.DirectionIn {
		g.decided[id] = nil
		return nil, nil
	}
	err = g.n.CheckEgress(ctx, g.actor, forewarn.Egress{Path: g.path, To: g.to, MessageID: id, Marks: sm.Message.Marks, Originator: sm.Message.From})
	if forewarn.ErrorCode(err) != forewarn.EFORBIDDEN && err != nil {
		return nil, err
	}
	g.decided[id] = err
	return err, nil
}

// barredSources returns the sender agencies whose names came into the subject through a
// confirmed match of a message the gate refuses.
func (g *EgressGate) barredSources(ctx context.Context, subjectID string) (barring, error) {
	if b, ok := g.barred[subjectID]; ok {
		return b, nil
	}
	var barred barring
	for offset := 0; ; {
		page, total, err := g.n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: subjectID, Status: forewarn.MatchConfirmed, Offset: offset, Limit: 1000})
		if err != nil {
			return barring{}, err
		}
		for _, m := range page {
			sm, err := g.n.Store.Message(ctx, m.MessageID)
			if err != nil {
				return barring{}, err
			}
			if sm.Direction != forewarn.DirectionIn || slices.Contains(barred.agencies, sm.Message.From) {
				continue
			}
			refusal, err := g.Refusal(ctx, m.MessageID)
			if err != nil {
				return barring{}, err
			}
			if refusal != nil {
				barred.agencies = append(barred.agencies, sm.Message.From)
				if barred.refusal == nil {
					barred.refusal = refusal
				}
			}
		}
		offset += len(page)
		if len(page) == 0 || offset >= total {
			break
		}
	}
	g.barred[subjectID] = barred
	return barred, nil
}

// Subject removes from s, in place, the aliases that came into it from received messages
// the gate refuses (a confirmed match merged them, with the sender as their source), and
// returns how many it removed.
func (g *EgressGate) Subject(ctx context.Context, s *forewarn.Subject) (int, error) {
	b, err := g.barredSources(ctx, s.ID)
	if err != nil || len(b.agencies) == 0 {
		return 0, err
	}
	withheld := 0
	kept := s.Names[:0]
	for _, nm := range s.Names {
		if nm.Kind == forewarn.NameAlias && slices.Contains(b.agencies, nm.Source) {
			withheld++
			continue
		}
		kept = append(kept, nm)
	}
	s.Names = kept
	return withheld, nil
}

// Barred returns the first refusal among the messages whose names came into subject id,
// after Subject has looked at it; nil when none was refused.
func (g *EgressGate) Barred(id string) error { return g.barred[id].refusal }

// Withheld says, in an answer given to another program, that content was left out and
// which mark kept it in.
type Withheld struct {
	MessageID string `json:"message_id"`
	Mark      string `json:"mark"`
	Reason    string `json:"reason"`
}

func withheldOf(id string, refusal error) Withheld {
	w := Withheld{MessageID: id, Reason: forewarn.ErrorMessage(refusal)}
	if fe, ok := refusal.(*forewarn.Error); ok {
		w.Mark = fe.Field
	}
	return w
}

// withheldText is what stands in an answer where content was left out.
func withheldText(refusal error) string {
	w := withheldOf("", refusal)
	return "withheld by " + w.Mark + ": " + w.Reason
}

// Withheld lists every message whose content the gate kept in so far, with the mark, in
// message ID order.
func (g *EgressGate) Withheld() []Withheld {
	var out []Withheld
	for id, refusal := range g.decided {
		if refusal != nil {
			out = append(out, withheldOf(id, refusal))
		}
	}
	slices.SortFunc(out, func(a, b Withheld) int { return strings.Compare(a.MessageID, b.MessageID) })
	return out
}

// Claims returns the claims whose message the gate lets out, and what it left out.
func (g *EgressGate) Claims(ctx context.Context, claims []*forewarn.Claim) ([]*forewarn.Claim, []Withheld, error) {
	var kept []*forewarn.Claim
	var out []Withheld
	for _, c := range claims {
		refusal, err := g.Refusal(ctx, c.MessageID)
		if err != nil {
			return nil, nil, err
		}
		if refusal != nil {
			out = appendWithheld(out, c.MessageID, refusal)
			continue
		}
		kept = append(kept, c)
	}
	return kept, out, nil
}

// Matches blanks, in place, the summary and explanation of matches whose message the
// gate refuses (they name the persons the message describes), and says what it left out.
func (g *EgressGate) Matches(ctx context.Context, ms []*forewarn.Match) ([]Withheld, error) {
	var out []Withheld
	for _, m := range ms {
		refusal, err := g.Refusal(ctx, m.MessageID)
		if err == nil && refusal == nil {
			refusal, err = g.Refusal(ctx, m.EarlierMessageID)
		}
		if err != nil {
			return nil, err
		}
		if refusal != nil {
			m.Summary, m.Explanation, m.Reason = withheldText(refusal), nil, ""
			out = appendWithheld(out, m.MessageID, refusal)
		}
	}
	return out, nil
}

func appendWithheld(ws []Withheld, id string, refusal error) []Withheld {
	if slices.ContainsFunc(ws, func(w Withheld) bool { return w.MessageID == id }) {
		return ws
	}
	return append(ws, withheldOf(id, refusal))
}

// SubjectDetail applies the gate to everything a subject page shows.
func (g *EgressGate) SubjectDetail(ctx context.Context, d *SubjectDetail) error {
	if _, err := g.Subject(ctx, d.Subject); err != nil {
		return err
	}
	claims, _, err := g.Claims(ctx, d.Claims)
	if err != nil {
		return err
	}
	d.Claims, d.Conflicts = claims, forewarn.ClaimConflicts(claims)
	if _, err := g.Matches(ctx, d.Matches); err != nil {
		return err
	}
	d.Withheld = g.Withheld()
	return nil
}

// Timeline replaces, in place, the text of events that came from a message the gate
// refuses with what kept it in.
func (g *EgressGate) Timeline(ctx context.Context, ev []TimelineEvent) error {
	for i := range ev {
		refusal, err := g.Refusal(ctx, ev[i].MessageID)
		if err != nil {
			return err
		}
		if refusal != nil {
			ev[i].Text = withheldText(refusal)
			ev[i].Phrase = forewarn.Phrase{}
		}
	}
	return nil
}

// Network replaces, in place, the labels of persons described in messages the gate
// refuses, and the match summaries of the edges to them.
func (g *EgressGate) Network(ctx context.Context, net *Network) error {
	for i := range net.Nodes {
		refusal, err := g.Refusal(ctx, net.Nodes[i].MessageID)
		if err != nil {
			return err
		}
		if refusal != nil {
			net.Nodes[i].Label = withheldText(refusal)
		}
	}
	for i, e := range net.Edges {
		for _, end := range []string{e.From, e.To} {
			mid, _, ok := parsePersonKey(end)
			if !ok {
				continue
			}
			refusal, err := g.Refusal(ctx, mid)
			if err != nil {
				return err
			}
			if refusal != nil {
				net.Edges[i].Source = withheldText(refusal)
			}
		}
	}
	return nil
}

// SearchResults blanks, in place, the names and explanations of hits the gate refuses: a
// person described in a refused message, and a subject found by an alias a refused
// message gave it.
func (g *EgressGate) SearchResults(ctx context.Context, rs []SearchResult) error {
	for i := range rs {
		r := &rs[i]
		var refusal error
		var err error
		switch r.Kind {
		case "person":
			refusal, err = g.Refusal(ctx, r.MessageID)
		case "subject":
			var b barring
			if b, err = g.barredSources(ctx, r.SubjectID); err == nil && b.refusal != nil {
				if si, _ := g.n.Matcher.subject(r.SubjectID); !strings.EqualFold(r.Name, si.name) {
					refusal = b.refusal
				}
			}
		}
		if err != nil {
			return err
		}
		if refusal != nil {
			r.Name, r.Summary, r.Explanation = "", withheldText(refusal), match.Explanation{}
		}
	}
	return nil
}

// Alerts replaces, in place, the text of alerts about a message the gate refuses.
func (g *EgressGate) Alerts(ctx context.Context, as []*forewarn.Alert) error {
	for _, a := range as {
		refusal, err := g.Refusal(ctx, a.MessageID)
		if err != nil {
			return err
		}
		if refusal != nil {
			a.Text, a.Phrase = withheldText(refusal), forewarn.Phrase{}
		}
	}
	return nil
}

// Message returns m as the gate lets it out: whole, or when the gate refuses a message
// this node received, its envelope fields without its content, with the refusal.
func (g *EgressGate) Message(ctx context.Context, m *forewarn.Message) (*forewarn.Message, error, error) {
	if m == nil {
		return nil, nil, nil
	}
	refusal, err := g.Refusal(ctx, m.ID)
	if err != nil || refusal == nil {
		return m, nil, err
	}
	return &forewarn.Message{ID: m.ID, Version: m.Version, From: m.From, To: m.To, Created: m.Created, Kind: m.Kind, InReplyTo: m.InReplyTo, Marks: m.Marks}, refusal, nil
}

// EarlierMentions applies the gate, in place, to what creating or editing a subject
// answers with.
func (g *EgressGate) EarlierMentions(ctx context.Context, ms []EarlierMention) error {
	for i := range ms {
		m, _, err := g.Message(ctx, ms[i].Message)
		if err != nil {
			return err
		}
		ms[i].Message = m
		if ms[i].Match != nil {
			if _, err := g.Matches(ctx, []*forewarn.Match{ms[i].Match}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Related applies the gate, in place, to the messages related to another.
func (g *EgressGate) Related(ctx context.Context, rs []RelatedMessage) error {
	for i := range rs {
		m, _, err := g.Message(ctx, rs[i].Message)
		if err != nil {
			return err
		}
		rs[i].Message = m
	}
	return nil
}

// DraftHits applies the gate, in place, to what a draft check found: earlier messages
// without their content, and subjects found by a name a refused message gave them
// without the explanation that names it.
func (g *EgressGate) DraftHits(ctx context.Context, hs []DraftHit) error {
	for i := range hs {
		h := &hs[i]
		var refusal error
		if h.Message != nil {
			m, r, err := g.Message(ctx, h.Message)
			if err != nil {
				return err
			}
			h.Message, refusal = m, r
		} else if h.SubjectID != "" {
			b, err := g.barredSources(ctx, h.SubjectID)
			if err != nil {
				return err
			}
			refusal = b.refusal
		}
		if refusal != nil {
			h.Summary, h.Explanation = withheldText(refusal), nil
		}
	}
	return nil
}
