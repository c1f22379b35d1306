package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

func runSubject(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "subject", args, []subcommand{{"add", runSubjectAdd}, {"list", runSubjectList}, {"show", runSubjectShow}})
}

func runSubjectAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("subject add", "Adds a person of interest to the agency's holdings and prints its ID.",
		"forewarn subject add --data DIR --name 'Ismaël Omar Mostefaï' --alias 'Omar Ismail Mostefai' --birth-date 1985-11-21 --nationality FR --watch")
	nf := addNodeFlags(fs)
	var aliases, nats, docs stringList
	name := fs.String("name", "", "primary name (required)")
	fs.Var(&aliases, "alias", "another name of the subject (repeatable)")
	birth := fs.String("birth-date", "", "birth date: YYYY, YYYY-MM or YYYY-MM-DD")
	birthplace := fs.String("birthplace", "", "place of birth")
	fs.Var(&nats, "nationality", "nationality, ISO 3166-1 alpha-2 (repeatable)")
	fs.Var(&docs, "document", "identity document as KIND:NUMBER[:COUNTRY], e.g. passport:12AB34567:FR (repeatable)")
	gender := fs.String("gender", "", "male, female or other")
	watch := fs.Bool("watch", false, "put the subject on the agency's watch list")
	notes := fs.String("notes", "", "free-text notes")
	asJSON := fs.Bool("json", false, "print the stored subject as JSON")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	bd, err := forewarn.ParsePartialDate(*birth)
	if err != nil {
		return forewarn.Invalid("birth_date", "format", "%v", err)
	}
	s := &forewarn.Subject{
		Names:         []forewarn.Name{{Value: *name, Kind: forewarn.NamePrimary}},
		BirthDate:     bd,
		Birthplace:    *birthplace,
		Nationalities: nats,
		Gender:        forewarn.Gender(*gender),
		Watch:         forewarn.WatchNone,
		Notes:         *notes,
	}
	if *watch {
		s.Watch = forewarn.WatchListed
	}
	for _, a := range aliases {
		s.Names = append(s.Names, forewarn.Name{Value: a, Kind: forewarn.NameAlias})
	}
	for i, d := range docs {
		parts := strings.Split(d, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return forewarn.Invalid(fmt.Sprintf("documents[%d]", i), "format", "%q must be KIND:NUMBER or KIND:NUMBER:COUNTRY", d)
		}
		doc := forewarn.Document{Kind: parts[0], Number: parts[1]}
		if len(parts) == 3 {
			doc.Country = parts[2]
		}
		s.Documents = append(s.Documents, doc)
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.LoadMatcher(ctx); err != nil {
		return err
	}
	mentions, err := app.NewMessages(node, nil).CreateSubject(ctx, nf.actor(), s)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, map[string]any{"subject": s, "told_before": mentions})
	}
	fmt.Fprintf(m.Stdout, "Added subject %s: %s\n", s.ID, s.PrimaryName())
	for _, em := range mentions {
		fmt.Fprintf(m.Stdout, "  You were told about this person before: %s %s from %s on %s (%s) — %s\n",
			em.Message.Kind, em.Message.ID, em.Message.From, em.Message.Created.Format("2 Jan 2006"), em.Status, em.Match.Summary)
	}
	return nil
}

func runSubjectList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("subject list", "Lists the agency's subjects, newest first. The read is audited.",
		"forewarn subject list --data DIR --watchlisted")
	nf := addNodeFlags(fs)
	watchOnly := fs.Bool("watchlisted", false, "only watch-listed subjects")
	limit := fs.Int("limit", 50, "how many to list")
	offset := fs.Int("offset", 0, "how many to skip")
	asJSON := fs.Bool("json", false, "print JSON")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	f := forewarn.SubjectFilter{Limit: *limit, Offset: *offset}
	if *watchOnly {
		f.Watch = forewarn.WatchListed
	}
	subjects, total, err := node.Store.FindSubjects(ctx, nf.actor(), f)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, map[string]any{"subjects": subjects, "total": total})
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tBORN\tNATIONALITY\tWATCH")
	for _, s := range subjects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.PrimaryName(), dash(s.BirthDate.String()), dash(strings.Join(s.Nationalities, ",")), s.Watch)
	}
	tw.Flush()
	fmt.Fprintf(m.Stdout, "%d of %d subjects\n", len(subjects), total)
	return nil
}

func runSubjectShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("subject show", "Shows one subject with its claims and associations. The read is audited with its purpose.",
		"forewarn subject show --data DIR --purpose investigation 0192f3c4-...")
	nf := addNodeFlags(fs)
	pf := addPurposeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	m.positional(fs, "SUBJECT-ID")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if ctx, err = node.Consult(ctx, pf.purpose()); err != nil {
		return m.flagError(err)
	}
	s, err := node.Store.Subject(ctx, nf.actor(), fs.Arg(0))
	if err != nil {
		return err
	}
	claims, err := node.Store.Claims(ctx, s.ID)
	if err != nil {
		return err
	}
	assocs, err := node.Store.Associations(ctx, s.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, map[string]any{"subject": s, "claims": claims, "associations": assocs})
	}
	w := m.Stdout
	fmt.Fprintf(w, "Subject %s\n", s.ID)
	for _, n := range s.Names {
		extra := ""
		if n.Source != "" {
			extra = " (source: " + n.Source + ")"
		}
		fmt.Fprintf(w, "  %-8s %s%s\n", n.Kind, n.Value, extra)
	}
	fmt.Fprintf(w, "  born     %s %s\n", dash(s.BirthDate.String()), s.Birthplace)
	fmt.Fprintf(w, "  national %s\n", dash(strings.Join(s.Nationalities, ", ")))
	for _, d := range s.Documents {
		fmt.Fprintf(w, "  document %s %s %s\n", d.Kind, d.Number, d.Country)
	}
	fmt.Fprintf(w, "  watch    %s\n", s.Watch)
	if s.Notes != "" {
		fmt.Fprintf(w, "  notes    %s\n", s.Notes)
	}
	fmt.Fprintf(w, "  created  %s, updated %s\n", s.CreatedAt.Format("2006-01-02 15:04"), s.UpdatedAt.Format("2006-01-02 15:04"))
	printClaims(m, claims)
	for _, a := range assocs {
		fmt.Fprintf(w, "  link     %s %s -> %s (%s, %s)\n", a.Kind, a.FromID, a.ToID, a.Source, a.Grading)
	}
	return nil
}

func printJSON(m *Main, v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
