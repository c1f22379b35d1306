package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

func runRetention(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "retention", args, []subcommand{{"policy", runRetentionPolicy}, {"list", runRetentionList}, {"keep", runRetentionKeep}, {"erase", runRetentionErase}})
}

func runRetentionPolicy(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "retention policy", args, []subcommand{{"list", runRetentionPolicyList}, {"set", runRetentionPolicySet}})
}

func runRetentionPolicyList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("retention policy list", "Lists the retention policy: how many days after it is stored a subject (by watch-list\nstatus) or a received message (by priority) is due for review.",
		"forewarn retention policy list --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	rules, err := node.Store.RetentionRules(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tCLASS\tDAYS\tUPDATED")
	for _, r := range rules {
		updated := "default"
		if !r.UpdatedAt.IsZero() {
			updated = r.UpdatedAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Kind, r.Class, r.Days, updated)
	}
	return tw.Flush()
}

func runRetentionPolicySet(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("retention policy set", "Sets after how many days a kind of item is due for review. A subject's class is its\nwatch-list status (watchlisted, none); a received message's is its priority (flash,\nurgent, priority, routine). Items given a date before keep it.",
		"forewarn retention policy set --data DIR --kind subject --class watchlisted --days 365")
	nf := addNodeFlags(fs)
	kind := fs.String("kind", "", "subject or message (required)")
	class := fs.String("class", "", "watchlisted or none for a subject; flash, urgent, priority or routine for a message (required)")
	days := fs.Int("days", 0, "days after the item is stored, 1 to 3653 (required)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	k, err := app.ParseRetentionKind(*kind)
	if err != nil {
		return forewarn.Invalid("--kind", "enum", "--kind is subject or message, not %q", *kind)
	}
	r := &forewarn.RetentionRule{Kind: k, Class: strings.ToLower(*class), Days: *days}
	if err := r.Validate(); err != nil {
		return flagError(err, map[string]string{"class": "--class", "days": "--days"})
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.Store.SetRetentionRule(ctx, nf.actor(), r); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "A %s %s is reviewed %d days after it is stored\n", r.Class, r.Kind, r.Days)
	return nil
}

// flagError renames the field of an EINVALID to the flag that sets it.
func flagError(err error, flags map[string]string) error {
	if fe, ok := err.(*forewarn.Error); ok && fe.Code == forewarn.EINVALID {
		if f, ok := flags[fe.Field]; ok {
			v := *fe
			v.Field = f
			return &v
		}
	}
	return err
}

func runRetentionList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("retention list", "Lists subjects and received messages by review date, soonest first; --due lists those due now.",
		"forewarn retention list --data DIR --due")
	nf := addStoreFlags(fs)
	due := fs.Bool("due", false, "only the items due for review now")
	kind := fs.String("kind", "", "only subjects or only messages")
	limit := fs.Int("limit", 100, "at most this many")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	f := forewarn.ReviewFilter{Kind: forewarn.RetentionKind(*kind), Limit: *limit}
	if *due {
		f.DueBy = node.Clock.Now()
	}
	// The policy gives dates to what was stored since the node last looked.
	if _, err := node.Store.AssignReviews(ctx); err != nil {
		return err
	}
	rs, total, err := node.Store.Reviews(ctx, f)
	if err != nil {
		return flagError(err, map[string]string{"kind": "--kind", "limit": "--limit"})
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVIEW\tKIND\tID\tWHAT\tSET BY\tREASON")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ReviewAt.Format("2006-01-02"), r.Kind, r.ObjectID, forewarn.EscapeControl(r.Label), r.SetBy, forewarn.EscapeControl(r.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > len(rs) {
		fmt.Fprintf(m.Stdout, "%d of %d shown\n", len(rs), total)
	}
	return nil
}

// addItemFlags adds --subject and --message, one of which names the item.
func addItemFlags(fs *flag.FlagSet) func() (forewarn.RetentionKind, string, error) {
	subject := fs.String("subject", "", "the subject's ID")
	message := fs.String("message", "", "the received message's ID")
	return func() (forewarn.RetentionKind, string, error) {
		switch {
		case *subject != "" && *message != "":
			return "", "", forewarn.Invalid("--subject", "one_of", "name one item: --subject or --message, not both")
		case *subject != "":
			return forewarn.RetainSubject, *subject, nil
		case *message != "":
			return forewarn.RetainMessage, *message, nil
		}
		return "", "", forewarn.Invalid("--subject", "required", "name the item: --subject ID or --message ID")
	}
}

func runRetentionKeep(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("retention keep", "Keeps a subject or received message at its review, or moves its review date: a reason\nis required, and the new date must be ahead. Closes its review alert.",
		"forewarn retention keep --data DIR --subject ID --until 2016-06-01 --reason \"investigation open\"")
	nf := addNodeFlags(fs)
	item := addItemFlags(fs)
	until := fs.String("until", "", "the new review date, YYYY-MM-DD or RFC 3339 (or --for)")
	forDays := fs.String("for", "", "the new review date as a span from now: 90d, 26w")
	reason := fs.String("reason", "", "why it is kept (required)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	kind, id, err := item()
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return forewarn.Invalid("--reason", "required", "say why the %s is kept", kind)
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	var at time.Time
	switch {
	case *until != "" && *forDays != "":
		return forewarn.Invalid("--until", "one_of", "give --until or --for, not both")
	case *until != "":
		if at, err = reportTime("--until", *until); err != nil {
			return err
		}
	case *forDays != "":
		d, err := parseSpan(*forDays)
		if err != nil {
			return forewarn.Invalid("--for", "duration", "%q is not a span like 90d or 26w", *forDays)
		}
		at = node.Clock.Now().Add(d)
	default:
		return forewarn.Invalid("--until", "required", "give the new review date: --until DATE or --for 90d")
	}
	if _, err := node.Store.AssignReviews(ctx); err != nil {
		return err
	}
	r, err := node.Store.SetReview(ctx, nf.actor(), kind, id, at, *reason)
	if err != nil {
		return flagError(err, map[string]string{"review_at": "--until", "reason": "--reason"})
	}
	fmt.Fprintf(m.Stdout, "Kept %s %s; next review %s\n", r.Kind, r.ObjectID, r.ReviewAt.Format("2006-01-02"))
	return nil
}

// parseSpan reads 90d, 26w or a Go duration.
func parseSpan(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(strings.TrimSuffix(s, "w")); err == nil && strings.HasSuffix(s, "w") && n > 0 {
		return time.Duration(n) * 7 * 24 * time.Hour, nil
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && strings.HasSuffix(s, "d") && n > 0 {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("not positive")
	}
	return d, err
}

func runRetentionErase(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("retention erase", "Erases a subject (with every person in messages confirmed to be him) or a received\nmessage's persons and text: the personal data leaves the store, the match index of every\nserver and, on SQLite, the database files. A tombstone, the audit entries and a chain\nthat verifies remain. The originator is told when its agreement asks for it.",
		"forewarn retention erase --data DIR --subject ID --reason \"review: no longer needed\"")
	nf := addNodeFlags(fs)
	item := addItemFlags(fs)
	reason := fs.String("reason", "", "why it is erased (required)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	kind, id, err := item()
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return forewarn.Invalid("--reason", "required", "say why the %s is erased", kind)
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	ms := app.NewMessages(node, nil)
	ts, err := ms.Erase(ctx, nf.actor(), kind, id, *reason)
	if err != nil {
		return flagError(err, map[string]string{"reason": "--reason", "id": "--" + string(kind)})
	}
	fmt.Fprintf(m.Stdout, "Erased %s %s: %d persons in %d received messages; tombstone digest %s\n", ts.Kind, ts.ObjectID, ts.Persons, len(ts.Messages), ts.Digest)
	if n := len(ts.AuditKept); n > 0 {
		seqs := make([]string, n)
		for i, s := range ts.AuditKept {
			seqs[i] = strconv.FormatInt(s, 10)
		}
		fmt.Fprintf(m.Stdout, "%d audit entries still hold text naming the person (written before reasons were kept apart from the chain; kept, exempt, see docs/retention.md): %s\n", n, strings.Join(seqs, ", "))
	}
	return nil
}
