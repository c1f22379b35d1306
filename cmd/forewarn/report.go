package main

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/forewarn/forewarn"
)

func runReport(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "report", args, []subcommand{{"oversight", runReportOversight}})
}

func runReportOversight(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("report oversight", "Prints the oversight report of a period, read from the audit trail: disclosures (what went\nto whom under which marks), consultations with their purposes, consent requests and\nanswers, imminent-threat overrides (flagged), refusals and erasures, with totals per\npeer and per user. Running it is audited.",
		"forewarn report oversight --data DIR --from 2015-01-01 --to 2016-01-01 --format csv")
	nf := addNodeFlags(fs)
	fromS := fs.String("from", "", "start of the period, YYYY-MM-DD or RFC 3339 (required)")
	toS := fs.String("to", "", "end of the period, exclusive, YYYY-MM-DD or RFC 3339 (required)")
	format := fs.String("format", "json", "json or csv")
	output := fs.String("output", "", "write to this file instead of standard output")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	from, err := reportTime("--from", *fromS)
	if err != nil {
		return err
	}
	to, err := reportTime("--to", *toS)
	if err != nil {
		return err
	}
	if *format != "json" && *format != "csv" {
		return forewarn.Invalid("--format", "enum", "%q is not a format; use json or csv", *format)
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	rep, err := node.OversightReport(ctx, nf.actor(), from, to)
	if forewarn.ErrorCode(err) == forewarn.EINVALID {
		return forewarn.Invalid("--to", "after_from", "--to must be after --from")
	}
	if err != nil {
		return err
	}
	w := m.Stdout
	if *output != "" {
		f, err := os.OpenFile(*output, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return forewarn.Invalid("--output", "writable", "%v", err)
		}
		defer f.Close()
		w = f
	}
	if *format == "csv" {
		return rep.WriteCSV(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func reportTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, forewarn.Invalid(flag, "required", "%s is required (YYYY-MM-DD or RFC 3339)", flag)
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, forewarn.Invalid(flag, "date", "%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
	}
	return t, nil
}
