package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/forewarn/forewarn"
)

// runAskPrivate asks a peer privately, through a running node, whether it holds persons
// (docs/private-match.md).
func runAskPrivate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("ask-private",
		"Asks a peer agency privately whether it holds persons, without naming them: the peer learns that\nyou asked and how many persons, never who; you learn for each person none, weak or strong.\nA hit alerts both sides; follow it with an ordinary request that names the person.\nEach --person is 'NAME; alias=NAME; born=YYYY[-MM[-DD]]; nationality=CC'; --subject names one of this node's subjects.",
		"forewarn ask-private --node http://127.0.0.1:8471 --to TR-MIT --person 'Ismaël Omar Mostefaï; born=1985; nationality=FR'")
	af := addAPIFlags(fs)
	to := fs.String("to", "", "the peer to ask (required)")
	var persons, subjects stringList
	fs.Var(&persons, "person", "a person to ask about (repeatable; see above)")
	fs.Var(&subjects, "subject", "the ID of a subject of this node to ask about (repeatable)")
	asJSON := fs.Bool("json", false, "print the query and its bands as JSON")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return forewarn.Invalid("--to", "required", "name the peer to ask, like --to TR-MIT")
	}
	if len(persons)+len(subjects) == 0 {
		return forewarn.Invalid("--person", "required", "give at least one --person or --subject")
	}
	body := map[string]any{"peer": *to}
	var ps []forewarn.PersonDescriptor
	for i, spec := range persons {
		p, err := parsePerson(spec, i)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	if len(ps) > 0 {
		body["persons"] = ps
	}
	if len(subjects) > 0 {
		body["subject_ids"] = []string(subjects)
	}
	var q forewarn.PrivateQuery
	if err := af.call(ctx, http.MethodPost, "/api/v1/private-queries", body, &q); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, q)
	}
	for _, r := range q.Results {
		verdict := "does not hold a likely match"
		if r.Band != forewarn.PrivateBandNone {
			verdict = "likely holds (" + r.Band + ")"
		}
		fmt.Fprintf(m.Stdout, "%s: %s — %s\n", q.Peer, verdict, r.Label)
	}
	return nil
}

// runPeerPrivateLimit sets how many persons a peer without a sharing agreement may ask
// about privately in a day.
func runPeerPrivateLimit(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("peer private-limit", "Sets how many persons a peer may ask about privately in one day (UTC). A peer with a sharing\nagreement has the agreement's limit instead ('forewarn agreement set --private-persons-per-day').",
		"forewarn peer private-limit --data DIR --agency FR-DGSI --persons-per-day 200")
	nf := addNodeFlags(fs)
	code := fs.String("agency", "", "the peer's agency code (required)")
	n := fs.Int("persons-per-day", forewarn.DefaultPrivateLimit, "persons a day; 0 refuses its private queries")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if _, err := node.Store.Peer(ctx, *code); err != nil {
		return err
	}
	if err := node.Store.SetPrivateLimit(ctx, nf.actor(), *code, *n); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s may ask privately about %d persons a day\n", *code, *n)
	return nil
}

// runPeerPrivateUse prints how often each peer asked privately today.
func runPeerPrivateUse(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("peer private-use", "Prints how often each peer asked this node privately today (UTC), and its limit.",
		"forewarn peer private-use --data DIR")
	nf := addNodeFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	use, err := node.Store.PrivateUse(ctx, node.Clock.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		return err
	}
	for _, u := range use {
		fmt.Fprintf(m.Stdout, "%s\t%d queries\t%d persons\tlimit %d a day\n", u.Peer, u.Queries, u.Persons, u.PersonsPerDay)
	}
	return nil
}
