package main

import (
	"context"
	"fmt"
	"os"
	"strings"
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
		"Verifies the node's audit trail: the hash chain from the first entry to the last and every\nsigned checkpoint. Prints how many entries verified, or exits with status 2 naming the first\nbad entry and why. An auditor verifies a backup file (forewarn backup) with --file and the\nnode's public key, as 'forewarn key show' prints it, in --key: no private key is needed.\nWith --witnesses it also asks every peer for the heads of this chain it countersigned, checks\nthe chain against them (a rewrite re-signed with the node's own key shows), and says which\npeer vouches for which entries.",
		"forewarn audit verify --file forewarn-2026-12-02.db --key 'FR-DGSI ed25519:BASE64'")
	nf := addStoreFlags(fs)
	fs.IntVar(&nf.checkpointEvery, "checkpoint-every", 0, "not needed: the node's checkpoint policy is read from its store")
	witnesses := fs.Bool("witnesses", false, "check the chain against the heads the peers countersigned, asking each peer")
	allowInsecure := fs.Bool("allow-insecure-http", false, "with --witnesses: ask peers over plain HTTP even when they are not on loopback")
	file := fs.String("file", "", "a backup's database file to verify instead of the node in --data")
	key := fs.String("key", "", "with --file: the node's public key, 'AGENCY ed25519:…' or 'ed25519:…'")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := nf.check(); err != nil {
		return err
	}
	if *file == "" && nf.data != "" {
		if st, err := os.Stat(nf.data); err == nil && !st.IsDir() {
			// "--data copy.db": the file is a backup, not a data directory.
			*file, nf.data = nf.data, ""
		}
	}
	if *file != "" {
		if *key == "" {
			return forewarn.Invalid("--key", "required", "verifying the file %s needs the node's public key, as 'forewarn key show' prints it: --key 'FR-DGSI ed25519:…'", *file)
		}
		pub, err := forewarn.ParsePublicKey(*key)
		if err != nil {
			return forewarn.Invalid("--key", "ed25519", "%v", err)
		}
		if _, err := os.Stat(*file); os.IsNotExist(err) {
			return forewarn.Invalid("--file", "exists", "%s: no such file; name the backup's database file, as 'forewarn backup --to' wrote it", *file)
		}
		rep, agency, err := m.verifyCopy(ctx, nf, *file, pub)
		if err != nil {
			return err
		}
		return m.auditReport(rep, agency+" backup "+*file)
	}
	if *key != "" {
		return forewarn.Invalid("--key", "file", "it goes with --file; a node in --data is verified with its own key file")
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if !*witnesses {
		rep, err := node.VerifyAudit(ctx)
		if err != nil {
			return err
		}
		return m.auditReport(rep, "")
	}
	client, err := federation.NewClient(nil, *allowInsecure, 30*time.Second)
	if err != nil {
		return err
	}
	rep, err := node.VerifyWitnessed(ctx, client)
	if err != nil {
		return err
	}
	for _, u := range rep.Unreached {
		fmt.Fprintf(m.Stderr, "witness not checked: %s\n", u)
	}
	if rep.Problem != nil && rep.Problem.Witness != "" {
		return exitError{code: 2, msg: fmt.Sprintf("audit trail BROKEN at entry %d: %s (%d entries verified before it); proof: the head countersigned by %s",
			rep.Problem.Seq, rep.Problem.Reason, rep.Entries, rep.Problem.Witness)}
	}
	if err := m.auditReport(rep, ""); err != nil {
		return err
	}
	for _, v := range rep.Vouches {
		fmt.Fprintf(m.Stdout, "%s vouches for entries 1-%d (it countersigned the head signed %s)\n", v.Witness, v.Seq, v.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

// auditReport prints a verified trail, or fails with status 2 naming the first bad entry.
func (m *Main) auditReport(rep *app.AuditReport, what string) error {
	if what != "" {
		what = " (" + what + ")"
	}
	if rep.Problem != nil {
		return exitError{code: 2, msg: fmt.Sprintf("audit trail BROKEN at entry %d: %s (%d entries verified before it)%s", rep.Problem.Seq, rep.Problem.Reason, rep.Entries, what)}
	}
	fmt.Fprintf(m.Stdout, "audit trail OK: %d entries verified, %d signed checkpoints%s\n", rep.Entries, rep.Checkpoints, what)
	return nil
}

func runAuditList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("audit list", "Lists audit entries, oldest first: who did what to which object, and when.",
		"forewarn audit list --data DIR --action subject.read --limit 20")
	nf := addStoreFlags(fs)
	actor := fs.String("actor", "", "only entries by this actor: a username, a peer's agency code, a component (cli:root), or as the list shows it (user:desk)")
	token := fs.String("token", "", "only entries made with this API token ID")
	action := fs.String("action", "", "only this action, or a prefix ending in a dot (subject.)")
	object := fs.String("object", "", "only entries about this object ID")
	after := fs.Int64("after", 0, "only entries after this sequence number")
	limit := fs.Int("limit", 100, "how many to list")
	asJSON := fs.Bool("json", false, "print JSON")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	// The list shows actors as KIND:ID ("user:desk", "system:cli:root"); the filter is by ID.
	for _, k := range []forewarn.ActorKind{forewarn.ActorUser, forewarn.ActorPeer, forewarn.ActorSystem} {
		if id, ok := strings.CutPrefix(*actor, string(k)+":"); ok {
			*actor = id
			break
		}
	}
	entries, err := node.Store.AuditEntries(ctx, forewarn.AuditFilter{ActorID: *actor, Token: *token, Action: *action, ObjectID: *object, AfterSeq: *after, Limit: *limit})
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		// Nothing listed because of a typo must not look like nothing happened. (An action
		// no longer written still lists the old entries that have it.)
		if err := knownAction(*action); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(m, entries)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tOBJECT\tDETAIL")
	// Every field is escaped: a refused request's path or a typed username could otherwise
	// put a line break, a tab or a terminal escape into the listing and forge a line.
	esc := forewarn.EscapeControl
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%s\n", e.Seq, e.Time.Format("2006-01-02 15:04:05"), esc(e.Actor.String()), esc(e.Action), esc(e.ObjectType), esc(e.ObjectID), esc(auditDetail(e)))
	}
	return tw.Flush()
}

// auditDetail is an entry's detail, with its note (a reason kept beside the chain) when
// it has one.
func auditDetail(e *forewarn.AuditEntry) string {
	if e.Note == "" {
		return e.Detail
	}
	return e.Detail + "; reason: " + e.Note
}

// knownAction refuses an --action no entry is ever written with (a typo would list nothing,
// as if nothing had happened), suggesting the nearest.
func knownAction(action string) error {
	if action == "" {
		return nil
	}
	actions := forewarn.AuditActions()
	for _, a := range actions {
		if a == action || (strings.HasSuffix(action, ".") && strings.HasPrefix(a, action)) {
			return nil
		}
	}
	return forewarn.Invalid("--action", "known", "no entry is ever written with the action %q%s; the ACTION column of 'forewarn audit list' shows them, or give a prefix ending in a dot (subject.)", action, didYouMean(action, actions, ""))
}
