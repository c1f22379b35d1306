package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/forewarn/forewarn/app"
)

func runTimeline(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("timeline",
		"Prints everything a running node knows happened about a subject, on one time axis, each with\nits source: claims, messages, receipts, reads, acknowledgements, escalations, matches and\ndecisions. The read is audited with its purpose.",
		"forewarn timeline --node http://127.0.0.1:8471 --purpose oversight 0192f3c4-…")
	af := addAPIFlags(fs)
	pf := addPurposeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	m.positional(fs, "SUBJECT-ID")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	var out struct {
		Events []app.TimelineEvent `json:"events"`
	}
	if err := af.call(ctx, http.MethodGet, "/api/v1/subjects/"+url.PathEscape(fs.Arg(0))+"/timeline"+pf.query(), nil, &out); err != nil {
		return m.flagError(err)
	}
	if *asJSON {
		return printJSON(m, out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHAT\tSOURCE\tDETAIL")
	for _, e := range out.Events {
		when := e.Time.Format("2006-01-02 15:04")
		if e.Date != "" {
			when = e.Date // a year-only date is 2012, not 2012-01-01 00:00
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", when, e.Kind, e.Source, e.Text)
	}
	return tw.Flush()
}
