package app

import (
	"context"
	"strings"

	"github.com/forewarn/forewarn"
)

// NetworkNode is a person in a subject's network: a subject the agency holds, or a person
// described in a message.
type NetworkNode struct {
	ID        string `json:"id"` // "subject:ID" or "person:MESSAGE/REF"
	Label     string `json:"label"`
	SubjectID string `json:"subject_id,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Hops      int    `json:"hops"`
}

// NetworkEdge links two persons, with where the link comes from.
type NetworkEdge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Kind   string `json:"kind"`   // associate_of, travelled_with, identified_through, match
	Source string `json:"source"` // the agency or message that says so, in English
	// What Source says, for pages in other languages: the match's score, or the agency
	// and the message whose link it is.
	Score       float64              `json:"score,omitempty"`
	Agency      string               `json:"agency,omitempty"`
	MessageID   string               `json:"message_id,omitempty"`
	MessageKind forewarn.MessageKind `json:"message_kind,omitempty"`
}

// Network is the persons within some hops of a subject and the links between them.
type Network struct {
	Nodes []NetworkNode `json:"nodes"`
	Edges []NetworkEdge `json:"edges"`
}

// MaxNetworkHops bounds a network query.
const MaxNetworkHops = 4

// Network returns the persons within hops links of a subject: associations between
// subjects, matches between subjects and persons in messages, and the links messages
// carry between the persons they describe. Reading it is an audited read of the subject.
func (n *Node) Network(ctx context.Context, actor forewarn.Actor, subjectID string, hops int) (*Network, error) {
	if hops < 1 || hops > MaxNetworkHops {
		return nil, forewarn.Invalid("hops", "range", "hops must be 1 to %d", MaxNetworkHops)
	}
	root, err := n.Store.Subject(ctx, actor, subjectID)
	if err != nil {
		return nil, err
	}
	net := &Network{}
	seen := map[string]int{}
	edgeSeen := map[string]bool{}
	var frontier []string
	addNode := func(nn NetworkNode) {
		if _, ok := seen[nn.ID]; ok {
			return
		}
		seen[nn.ID] = nn.Hops
		net.Nodes = append(net.Nodes, nn)
		frontier = append(frontier, nn.ID)
	}
	addEdge := func(e NetworkEdge) {
		k := e.From + ">" + e.To + ">" + e.Kind
		if !edgeSeen[k] {
			edgeSeen[k] = true
			net.Edges = append(net.Edges, e)
		}
	}
	addNode(NetworkNode{ID: subjectKey(root.ID), Label: root.PrimaryName(), SubjectID: root.ID})
	messages := map[string]*forewarn.StoredMessage{}
	message := func(id string) (*forewarn.StoredMessage, error) {
		if sm, ok := messages[id]; ok {
			return sm, nil
		}
		sm, err := n.Store.Message(ctx, id)
		if err == nil {
			messages[id] = sm
		}
		return sm, err
	}
	for depth := 1; depth <= hops; depth++ {
		current := frontier
		frontier = nil
		for _, id := range current {
			if sid, ok := strings.CutPrefix(id, subjectPrefix); ok {
				assocs, err := n.Store.Associations(ctx, sid)
				if err != nil {
					return nil, err
				}
				for _, a := range assocs {
					other := a.ToID
					if other == sid {
						other = a.FromID
					}
					label := other
					if n.Matcher != nil {
						if si, ok := n.Matcher.subject(other); ok {
							label = si.name
						}
					}
					addNode(NetworkNode{ID: subjectKey(other), Label: label, SubjectID: other, Hops: depth})
					addEdge(NetworkEdge{From: subjectKey(a.FromID), To: subjectKey(a.ToID), Kind: string(a.Kind), Source: a.Source.String()})
				}
				ms, _, err := n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: sid, Limit: 1000})
				if err != nil {
					return nil, err
				}
				for _, m := range ms {
					if m.Status == forewarn.MatchRejected {
						continue
					}
					sm, err := message(m.MessageID)
					if err != nil {
						return nil, err
					}
					pk := personKey(m.MessageID, m.PersonRef)
					addNode(NetworkNode{ID: pk, Label: refName(sm.Message, m.PersonRef), MessageID: m.MessageID, Hops: depth})
					addEdge(NetworkEdge{From: pk, To: id, Kind: "match", Source: m.Summary, Score: m.Score})
				}
				continue
			}
			mid, ref, ok := parsePersonKey(id)
			if !ok {
				continue
			}
			sm, err := message(mid)
			if err != nil {
				return nil, err
			}
			for _, p := range sm.Message.Persons() {
				for _, l := range p.Links {
					if l.To == "" || (p.Ref != ref && l.To != ref) {
						continue
					}
					other := l.To
					if l.To == ref {
						other = p.Ref
					}
					ok := personKey(mid, other)
					addNode(NetworkNode{ID: ok, Label: refName(sm.Message, other), MessageID: mid, Hops: depth})
					addEdge(NetworkEdge{From: personKey(mid, p.Ref), To: personKey(mid, l.To), Kind: string(l.Kind), Source: sm.Message.From + " in " + string(sm.Message.Kind) + " " + mid,
						Agency: sm.Message.From, MessageID: mid, MessageKind: sm.Message.Kind})
				}
			}
			// A person in a message leads on to the subjects it was matched to.
			ms, _, err := n.Store.Matches(ctx, forewarn.MatchFilter{MessageID: mid, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if m.PersonRef != ref || m.SubjectID == "" || m.Status == forewarn.MatchRejected {
					continue
				}
				label := m.SubjectID
				if n.Matcher != nil {
					if si, ok := n.Matcher.subject(m.SubjectID); ok {
						label = si.name
					}
				}
				addNode(NetworkNode{ID: subjectKey(m.SubjectID), Label: label, SubjectID: m.SubjectID, Hops: depth})
				addEdge(NetworkEdge{From: id, To: subjectKey(m.SubjectID), Kind: "match", Source: m.Summary, Score: m.Score})
			}
		}
	}
	return net, nil
}

func refName(m *forewarn.Message, ref string) string {
	for _, p := range m.Persons() {
		if p.Ref == ref {
			return (&p).DisplayName()
		}
	}
	return ref
}
