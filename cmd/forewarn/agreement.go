package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/forewarn/forewarn"
)

func runAgreement(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "agreement", args, []subcommand{{"set", runAgreementSet}, {"list", runAgreementList}, {"remove", runAgreementRemove}})
}

func runAgreementSet(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("agreement set", "Records what this node has agreed to send a peer: the message kinds, the most restrictive\nTLP level and the handling it may receive. A send outside it is refused before it leaves,\nnaming the term. A peer without an agreement is restricted by handling marks only.",
		"forewarn agreement set --data DIR --agency BE-VSSE --kinds request,notification,response --max-tlp AMBER --consent-required")
	nf := addNodeFlags(fs)
	agency := fs.String("agency", "", "the peer's agency code (required)")
	kinds := fs.String("kinds", "", "the message kinds it may receive, comma-separated: request, notification, response (required; acknowledgements always go), and private_match to let this node ask it privately")
	maxTLP := fs.String("max-tlp", "", "the most restrictive TLP level it may receive: CLEAR, GREEN, AMBER, AMBER+STRICT or RED (required)")
	consent := fs.Bool("consent-required", false, "it may receive messages whose originator's consent is required for onward sharing")
	forwarded := fs.Bool("forwarded", false, "it may receive content forwarded from another agency")
	notifyErasure := fs.Bool("notify-erasure", false, "tell it when a person it sent is erased here")
	note := fs.String("note", "", "the agreement's reference, in words")
	private := fs.Int("private-persons-per-day", 0, "how many persons it may ask about privately in a day (docs/private-match.md); 0: none")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	a := &forewarn.SharingAgreement{Agency: *agency, MaxTLP: forewarn.TLP(strings.ToUpper(*maxTLP)), ConsentRequired: *consent, Forwarded: *forwarded, NotifyErasure: *notifyErasure, Note: *note, PrivatePersonsPerDay: *private}
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			a.Kinds = append(a.Kinds, forewarn.MessageKind(k))
		}
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.Store.SetAgreement(ctx, nf.actor(), a); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Agreement with %s: %s\n", a.Agency, agreementTerms(a))
	return nil
}

func agreementTerms(a *forewarn.SharingAgreement) string {
	kinds := make([]string, len(a.Kinds))
	for i, k := range a.Kinds {
		kinds[i] = string(k)
	}
	s := fmt.Sprintf("%s up to TLP:%s", strings.Join(kinds, ", "), a.MaxTLP)
	if a.ConsentRequired {
		s += "; consent-required messages"
	}
	if a.Forwarded {
		s += "; forwarded content"
	}
	if a.NotifyErasure {
		s += "; told of erasures"
	}
	if a.PrivatePersonsPerDay > 0 {
		s += fmt.Sprintf("; private queries about %d persons a day", a.PrivatePersonsPerDay)
	}
	return s
}

func runAgreementList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("agreement list", "Lists the sharing agreements with this node's peers.", "forewarn agreement list --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	as, err := node.Store.Agreements(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENCY\tTERMS\tUPDATED")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Agency, agreementTerms(a), a.UpdatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func runAgreementRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("agreement remove", "Removes the sharing agreement with a peer: handling marks alone then decide what it receives.",
		"forewarn agreement remove --data DIR --agency BE-VSSE")
	nf := addNodeFlags(fs)
	agency := fs.String("agency", "", "the peer's agency code (required)")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.Store.RemoveAgreement(ctx, nf.actor(), *agency); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Removed the agreement with %s\n", *agency)
	return nil
}
