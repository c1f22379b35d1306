package forewarn

import (
	"time"
)

// EscalationStep is one step of an escalation policy: how long after the deadline it
// fires (as a fraction of the priority's deadline, so a flash warning escalates in
// minutes and a routine one in days), on which side, and whom it tells.
type EscalationStep struct {
	AfterDeadline float64        `json:"after_deadline"` // 0 = at the deadline, 0.5 = half the window later
	Side          EscalationSide `json:"side"`
	Notify        Role           `json:"notify"`
	// OwnerFirst tells the message's owner, when someone owns it, instead of Notify.
	OwnerFirst bool `json:"owner_first,omitempty"`
	// IfOwned fires the step only when someone owns the message: the desk that an
	// OwnerFirst step told when nobody owns it need not be told twice.
	IfOwned bool `json:"if_owned,omitempty"`
}

// Applies reports whether the step fires for a message owned by owner ("" for nobody).
func (s EscalationStep) Applies(owner string) bool { return !s.IfOwned || owner != "" }

// Tells says whom the step tells for a message owned by owner: the owner's username, or
// "" and the role.
func (s EscalationStep) Tells(owner string) (string, Role) {
	if s.OwnerFirst && owner != "" {
		return owner, s.Notify
	}
	return "", s.Notify
}

// EscalationPolicy says, per priority, how long a recipient has to acknowledge a warning
// and what happens, step by step, when it does not.
type EscalationPolicy struct {
	Deadlines map[Priority]time.Duration `json:"deadlines"`
	Steps     []EscalationStep           `json:"steps"`
}

// DefaultEscalationPolicy is flash 1 h, urgent 24 h, priority 7 days, routine 30 days; at
// the deadline the recipient's owner of the warning (or its liaison desk, when nobody owns
// it) is reminded and the sender's liaison desk told the warning is overdue; a quarter
// window later the recipient's liaison desk, when an owner was reminded first; half a
// window later the recipient's supervisors; a whole window later the sender's supervisors.
func DefaultEscalationPolicy() EscalationPolicy {
	return EscalationPolicy{
		Deadlines: map[Priority]time.Duration{
			PriorityFlash:    time.Hour,
			PriorityUrgent:   24 * time.Hour,
			PriorityPriority: 7 * 24 * time.Hour,
			PriorityRoutine:  30 * 24 * time.Hour,
		},
		Steps: []EscalationStep{
			{AfterDeadline: 0, Side: SideRecipient, Notify: RoleLiaison, OwnerFirst: true},
			{AfterDeadline: 0, Side: SideSender, Notify: RoleLiaison},
			{AfterDeadline: 0.25, Side: SideRecipient, Notify: RoleLiaison, IfOwned: true},
			{AfterDeadline: 0.5, Side: SideRecipient, Notify: RoleSupervisor},
			{AfterDeadline: 1, Side: SideSender, Notify: RoleSupervisor},
		},
	}
}

// Deadline returns how long after creation a message of priority p must be acknowledged.
func (p EscalationPolicy) Deadline(pr Priority) time.Duration {
	if d, ok := p.Deadlines[pr]; ok {
		return d
	}
	return p.Deadlines[PriorityRoutine]
}

// Validate checks the policy is usable: a positive deadline for every priority and steps
// in time order.
func (p EscalationPolicy) Validate() error {
	for _, pr := range []Priority{PriorityFlash, PriorityUrgent, PriorityPriority, PriorityRoutine} {
		if p.Deadlines[pr] <= 0 {
			return Invalid("deadlines."+string(pr), "positive", "the %s deadline must be positive", pr)
		}
	}
	for i, s := range p.Steps {
		if s.AfterDeadline < 0 || (i > 0 && s.AfterDeadline < p.Steps[i-1].AfterDeadline) {
			return Invalid(fieldIndex("steps", i), "order", "steps must fire at or after the deadline, in time order")
		}
		if s.Side != SideRecipient && s.Side != SideSender {
			return Invalid(fieldIndex("steps", i)+".side", "enum", "unknown side %q", s.Side)
		}
		if !s.Notify.Valid() {
			return Invalid(fieldIndex("steps", i)+".notify", "enum", "unknown role %q", s.Notify)
		}
	}
	return nil
}

// DueSteps returns the indexes in Steps of the steps of side that are due at now for a
// delivery whose deadline is deadline, for a message of priority pr. done is the index
// after the last step already fired for the delivery (Delivery.Escalated), so a step
// fires once however often the scheduler runs or restarts.
func (p EscalationPolicy) DueSteps(pr Priority, deadline, now time.Time, side EscalationSide, done int, owner string) []int {
	window := p.Deadline(pr)
	var due []int
	for i, s := range p.Steps {
		if i < done || s.Side != side || !s.Applies(owner) {
			continue
		}
		at := deadline.Add(time.Duration(s.AfterDeadline * float64(window)))
		if !now.Before(at) {
			due = append(due, i)
		}
	}
	return due
}

// NextStepTime returns when the first step of side at or after index done fires for a
// delivery with the given deadline, and false when no step is left for that side.
func (p EscalationPolicy) NextStepTime(pr Priority, deadline time.Time, side EscalationSide, done int, owner string) (time.Time, bool) {
	if i, ok := p.NextStep(side, done, owner); ok {
		return p.StepTime(pr, deadline, i), true
	}
	return time.Time{}, false
}

// NextStep returns the index of the first step of side at or after done that fires for a
// message owned by owner, and false when none is left.
func (p EscalationPolicy) NextStep(side EscalationSide, done int, owner string) (int, bool) {
	for i := max(done, 0); i < len(p.Steps); i++ {
		if p.Steps[i].Side == side && p.Steps[i].Applies(owner) {
			return i, true
		}
	}
	return 0, false
}

// NextStepText says what happens next to a delivery, the way the inbox shows it:
// "reminds dupont", "escalates to the liaison desk", "escalates to supervisors". Empty
// when no step is left.
func (p EscalationPolicy) NextStepText(side EscalationSide, done int, owner string) string {
	i, ok := p.NextStep(side, done, owner)
	if !ok {
		return ""
	}
	user, role := p.Steps[i].Tells(owner)
	switch {
	case user != "":
		return "reminds " + user
	case role == RoleSupervisor:
		return "escalates to supervisors"
	case side == SideSender:
		return "tells our " + string(role) + " desk it is overdue"
	}
	return "escalates to the " + string(role) + " desk"
}

// StepTime returns when step i fires for a delivery with the given deadline.
func (p EscalationPolicy) StepTime(pr Priority, deadline time.Time, i int) time.Time {
	return deadline.Add(time.Duration(p.Steps[i].AfterDeadline * float64(p.Deadline(pr))))
}

// EscalationPhrase says what an escalation step tells the people it notifies.
func EscalationPhrase(side EscalationSide, kind MessageKind, from, to string, deadline time.Time, delivered bool) Phrase {
	if side == SideRecipient {
		return Say(PhraseEscalationRecipient, LabelArg(kind), AgencyArg(from), TimeArg(deadline))
	}
	if !delivered {
		return Say(PhraseEscalationUndelivered, LabelArg(kind), AgencyArg(to), TimeArg(deadline))
	}
	return Say(PhraseEscalationUnacknowledged, LabelArg(kind), AgencyArg(to), TimeArg(deadline))
}
