package forewarn

import (
	"slices"
	"strings"
)

// tlpOrder lists the TLP levels from least to most restrictive.
var tlpOrder = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// Stricter returns the more restrictive of two TLP levels.
func (t TLP) Stricter(o TLP) TLP {
	if slices.Index(tlpOrder, o) > slices.Index(tlpOrder, t) {
		return o
	}
	return t
}

// ValidateReply checks a reply m, sent by this node (self), against the message it answers:
// a reply to a message this node received goes to its sender only, a follow-up to one it
// sent goes to that message's recipients only, and the reply's marks are at least as strict
// as the original's: no lower TLP level, no agency its release list did not name (beside
// the original's sender), and the originator's consent still required when it was. A reply
// is how an answer reaches whoever asked, so it must not reach, or be shareable with,
// anyone the question was not for.
func (m *Message) ValidateReply(orig *Message, self string) error {
	if orig.From != self {
		if len(m.To) != 1 || m.To[0] != orig.From {
			return Invalid("to", "requester", "a reply to %s's message %s goes to %s only, not to %s", orig.From, orig.ID, orig.From, strings.Join(m.To, ", "))
		}
	} else {
		for i, to := range m.To {
			if !slices.Contains(orig.To, to) {
				return Invalid("to", "requester", "to[%d]: %s was not a recipient of message %s, which this replies to", i, to, orig.ID)
			}
		}
	}
	o, h := orig.Marks, m.Marks
	if h.TLP.Stricter(o.TLP) != h.TLP {
		return Invalid("marks.tlp", "as_strict", "a reply to a TLP:%s message must be marked TLP:%s or stricter, not TLP:%s", o.TLP, o.TLP, h.TLP)
	}
	if len(o.ReleasableTo) > 0 {
		if len(h.ReleasableTo) == 0 {
			return Invalid("marks.releasable_to", "as_strict", "the message this replies to is releasable to %s only; the reply must name its agencies too", strings.Join(o.ReleasableTo, ", "))
		}
		for _, a := range h.ReleasableTo {
			if a != orig.From && !slices.Contains(o.ReleasableTo, a) {
				return Invalid("marks.releasable_to", "as_strict", "%s may not receive a reply to a message releasable to %s only", a, strings.Join(o.ReleasableTo, ", "))
			}
		}
	}
	if o.OriginatorConsentRequired && !h.OriginatorConsentRequired {
		return Invalid("marks.originator_consent_required", "as_strict", "the message this replies to requires its originator's consent for onward sharing; so must the reply")
	}
	return nil
}
