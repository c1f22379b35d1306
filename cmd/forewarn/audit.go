package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/federation"
)

func runAudit(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "audit", args, []subcommand{{"verify", runAuditVerify}, {"list", runAuditList}})
}

func runAuditVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("audit verify",
		"Verifies the node's audit trail: the hash chain from the first entry to the last and every\nsigned checkpoint. Prints how many entries verified, or exits with status 2 naming the first\nbad entry and why. With --witnesses it also asks every peer for the heads of this chain it\ncountersigned, checks the chain against them (a rewrite re-signed with the node's own key\nshows), and says which peer vouches for which entries.",
		"forewarn audit verify --data DIR --witnesses")
	nf := addNodeFlags(fs)
	witnesses := fs.Bool("witnesses", false, "check the chain against the heads the peers countersigned, asking each peer")
	allowInsecure := fs.Bool("allow-insecure-http", false, "ask peers over plain HTTP even when they are not on loopback")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	var rep *app.AuditReport
	if *witnesses {
		client, err := federation.NewClient(nil, *allowInsecure, 30*time.Second)
		if err != nil {
			return err
		}
		rep, err = node.VerifyWitnessed(ctx, client)
		if err != nil {
			return err
		}
	} else if rep, err = node.VerifyAudit(ctx); err != nil {
		return err
	}
	for _, u := range rep.Unreached {
		fmt.Fprintf(m.Stderr, "witness not checked: %s\n", u)
	}
	if rep.Problem != nil {
		msg := fmt.Sprintf("audit trail BROKEN at entry %d: %s (%d entries verified before it)", rep.Problem.Seq, rep.Problem.Reason, rep.Entries)
		if rep.Problem.Witness != "" {
			msg += fmt.Sprintf("; proof: the head countersigned by %s", rep.Problem.Witness)
		}
		return exitError{code: 2, msg: msg}
	}
	fmt.Fprintf(m.Stdout, "audit trail OK: %d entries verified, %d signed checkpoints\n", rep.Entries, rep.Checkpoints)
	for _, v := range rep.Vouches {
		fmt.Fprintf(m.Stdout, "%s vouches for entries 1-%d (it countersigned the head signed %s)\n", v.Witness, v.Seq, v.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

func runAuditList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("audit list", "Lists audit entries, oldest first: who did what to which object, and when.",
		"forewarn audit list --data DIR --action subject.read --limit 20")
	nf := addNodeFlags(fs)
	actor := fs.String("actor", "", "only entries by this actor ID")
	action := fs.String("action", "", "only this action, or a prefix ending in a dot (subject.)")
	object := fs.String("object", "", "only entries about this object ID")
	after := fs.Int64("after", 0, "only entries after this sequence number")
	limit := fs.Int("limit", 100, "how many to list")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	entries, err := node.Store.AuditEntries(ctx, forewarn.AuditFilter{ActorID: *actor, Action: *action, ObjectID: *object, AfterSeq: *after, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, entries)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tOBJECT\tDETAIL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%s\n", e.Seq, e.Time.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Detail)
	}
	return tw.Flush()
}
