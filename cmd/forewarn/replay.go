package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// replay drives a cluster through a story and records what it checked on the way.
type replay struct {
	c      *cluster
	checks []check
}

// check is one expectation of a replay and whether it held.
type check struct {
	What   string
	OK     bool
	Detail string
}

func (r *replay) expect(ok bool, what string, detail string, args ...any) {
	ch := check{What: what, OK: ok, Detail: fmt.Sprintf(detail, args...)}
	r.checks = append(r.checks, ch)
	if r.c.out != nil {
		mark := "✓"
		if !ok {
			mark = "✗ FAILED:"
		}
		fmt.Fprintf(r.c.out, "                  %s %s", mark, what)
		if ch.Detail != "" {
			fmt.Fprintf(r.c.out, " — %s", ch.Detail)
		}
		fmt.Fprintln(r.c.out)
	}
}

// failed returns the checks that did not hold.
func (r *replay) failed() []check {
	var out []check
	for _, ch := range r.checks {
		if !ch.OK {
			out = append(out, ch)
		}
	}
	return out
}

// actor is a demo user of a node acting in the replay.
func actor(role forewarn.Role) forewarn.Actor { return forewarn.UserActor(string(role)) }

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func person(ref, name string, born string, nationality ...string) forewarn.PersonDescriptor {
	d, _ := forewarn.ParsePartialDate(born)
	return forewarn.PersonDescriptor{Ref: ref, Names: []forewarn.Name{{Value: name, Kind: forewarn.NamePrimary}}, BirthDate: d, Nationalities: nationality}
}

// subjectOf creates a subject on a node as its analyst, with retro-matching.
func (r *replay) subject(ctx context.Context, code string, s *forewarn.Subject) (*forewarn.Subject, []app.EarlierMention, error) {
	mentions, err := r.c.node(code).msgs.CreateSubject(ctx, actor(forewarn.RoleAnalyst), s)
	return s, mentions, err
}

func (r *replay) send(ctx context.Context, code string, m *forewarn.Message) (*forewarn.StoredMessage, error) {
	sm, err := r.c.node(code).msgs.Send(ctx, actor(forewarn.RoleLiaison), m)
	if err != nil {
		return nil, fmt.Errorf("%s sends %s: %w", code, m.Kind, err)
	}
	return sm, nil
}

// received returns a node's copy of a message.
func (r *replay) received(ctx context.Context, code, id string) (*forewarn.StoredMessage, error) {
	return r.c.node(code).node.Store.Message(ctx, id)
}

// verifyAudit checks every node's audit chain.
func (r *replay) verifyAudit(ctx context.Context) error {
	for _, code := range r.c.order {
		rep, err := r.c.node(code).node.VerifyAudit(ctx)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%d entries, %d signed checkpoints", rep.Entries, rep.Checkpoints)
		if rep.Problem != nil {
			detail = rep.Problem.Error()
		}
		r.expect(rep.Problem == nil && rep.Entries > 0, code+"'s audit chain verifies", "%s", detail)
	}
	return nil
}

// reasonsOf returns the reasons the matcher gave for a match, from its explanation.
func reasonsOf(m *forewarn.Match) string { return m.Summary }

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// printSummary prints the replay's checks and returns an error when any failed.
func (r *replay) summary(w io.Writer) error {
	failed := r.failed()
	if w != nil {
		fmt.Fprintf(w, "\n%d of %d checks held.\n", len(r.checks)-len(failed), len(r.checks))
	}
	if len(failed) > 0 {
		var names []string
		for _, f := range failed {
			names = append(names, f.What)
		}
		return fmt.Errorf("the replay did not reach the expected state: %s", strings.Join(names, "; "))
	}
	return nil
}
