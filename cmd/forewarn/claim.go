package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/forewarn/forewarn"
)

func runClaim(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "claim", args, []subcommand{{"add", runClaimAdd}, {"list", runClaimList}})
}

func runClaimAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("claim add", "Records a graded, sourced fact about a subject. Claims are never overwritten.",
		"forewarn claim add --data DIR --subject ID --kind travel_entry --value TR --from 2013 --source-agency TR-MIT --grading B2")
	nf := addNodeFlags(fs)
	subject := fs.String("subject", "", "the subject's ID (required)")
	kind := fs.String("kind", "", "travel_entry, travel_exit, residence, association, document or attribute (required)")
	value := fs.String("value", "", "what is claimed: the country (ISO alpha-2) for travel, else free text")
	from := fs.String("from", "", "when it became true: YYYY, YYYY-MM or YYYY-MM-DD")
	to := fs.String("to", "", "when it stopped being true (empty: open-ended)")
	srcAgency := fs.String("source-agency", "", "agency the information comes from")
	srcName := fs.String("source", "", "named source (a system, a report)")
	grading := fs.String("grading", "", "Admiralty grading: reliability A-F and credibility 1-6, like B2 (required)")
	negative := fs.Bool("negative", false, "the claim asserts an absence (no exit record)")
	note := fs.String("note", "", "free-text note")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	vf, err := forewarn.ParsePartialDate(*from)
	if err != nil {
		return forewarn.Invalid("valid_from", "format", "%v", err)
	}
	vt, err := forewarn.ParsePartialDate(*to)
	if err != nil {
		return forewarn.Invalid("valid_to", "format", "%v", err)
	}
	g, err := forewarn.ParseGrading(*grading)
	if err != nil {
		return err
	}
	c := &forewarn.Claim{
		SubjectID: *subject, Kind: forewarn.ClaimKind(*kind), Value: *value,
		ValidFrom: vf, ValidTo: vt, Source: forewarn.Source{Agency: *srcAgency, Name: *srcName},
		Grading: g, Negative: *negative, Note: *note,
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.Store.CreateClaim(ctx, nf.actor(), c); err != nil {
		return err
	}
	no := ""
	if c.Negative {
		no = "no record of " // a negative claim: the source states there is none
	}
	fmt.Fprintf(m.Stdout, "Added claim %s: %s%s %s %s (%s, %s)\n", c.ID, no, c.Kind, c.Value, dash(c.ValidFrom.String()), c.Source, c.Grading)
	return nil
}

func runClaimList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("claim list", "Lists the claims about a subject, with their sources and gradings.",
		"forewarn claim list --data DIR --subject ID")
	nf := addNodeFlags(fs)
	subject := fs.String("subject", "", "the subject's ID (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	// Reading the subject first makes an unknown ID an error and audits who looked.
	if _, err := node.Store.Subject(ctx, nf.actor(), *subject); err != nil {
		return err
	}
	claims, err := node.Store.Claims(ctx, *subject)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, claims)
	}
	printClaims(m, claims)
	return nil
}

func printClaims(m *Main, claims []*forewarn.Claim) {
	if len(claims) == 0 {
		fmt.Fprintln(m.Stdout, "  no claims")
		return
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CLAIM\tKIND\tVALUE\tFROM\tTO\tSOURCE\tGRADING\tNEGATIVE")
	for _, c := range claims {
		neg := ""
		if c.Negative {
			neg = "no record"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.Value, dash(c.ValidFrom.String()), dash(c.ValidTo.String()), c.Source, c.Grading, neg)
	}
	tw.Flush()
}
