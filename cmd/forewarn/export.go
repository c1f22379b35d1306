package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/ftm"
	"github.com/forewarn/forewarn/personcsv"
	"github.com/forewarn/forewarn/stix"
)

func runExport(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("export",
		"Writes the node's subjects as FtM JSON lines, CSV (with claims) or a STIX 2.1 bundle (with\n"+
			"claims, links and the messages that may leave; docs/stix.md). Names\n"+
			"and claims that came in messages whose handling marks forbid passing them on (TLP:AMBER\n"+
			"and above, a release list, originator consent) are left out and counted, unless an\n"+
			"administrator exports for backup. The export is recorded in the audit trail.",
		"forewarn export --data DIR --format ftm --output subjects.ftm.json")
	nf := addNodeFlags(fs)
	format := fs.String("format", "ftm", "ftm, csv or stix")
	output := fs.String("output", "-", "file to write (- for standard output)")
	backup := fs.Bool("backup", false, "export everything, whatever its handling marks (administrators, for backup)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "ftm" && *format != "csv" && *format != "stix" {
		return fmt.Errorf("export: --format %q: want ftm, csv or stix", *format)
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	var w io.Writer = m.Stdout
	var f *os.File
	if *output != "-" {
		if f, err = os.Create(*output); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	ex, err := exportWriter(ctx, node, *format, bw)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	stixFormat := *format == "stix"
	opt := app.ExportOptions{Format: *format, Backup: *backup, Claims: *format == "csv" || stixFormat,
		Associations: stixFormat, Originals: stixFormat, Messages: stixFormat}
	if stixFormat {
		opt.OriginalMarks = stix.Codec{}.Marks
	}
	rep, err := node.Export(ctx, nf.actor(), opt, ex.subject, ex.message)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := ex.flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if stixFormat {
		fmt.Fprintf(m.Stderr, "exported %d subjects and %d messages; %d names, claims and messages held back by their handling marks\n", rep.Subjects, rep.Messages, rep.Withheld)
	} else {
		fmt.Fprintf(m.Stderr, "exported %d subjects; %d names and claims held back by their handling marks\n", rep.Subjects, rep.Withheld)
	}
	return nil
}

// formatWriter writes one export format: each subject (with what the format carries),
// each message (STIX only), and a final flush.
type formatWriter struct {
	subject func(*app.ExportItem) error
	message func(*forewarn.Message) error
	flush   func() error
}

// exportWriter returns the format's writer.
func exportWriter(ctx context.Context, node *app.Node, format string, w io.Writer) (*formatWriter, error) {
	switch format {
	case "csv":
		cw := personcsv.NewWriter(w)
		return &formatWriter{subject: func(it *app.ExportItem) error { return cw.Write(it.Subject, it.Claims) }, flush: cw.Flush}, nil
	case "ftm":
		fw := ftm.NewWriter(w)
		return &formatWriter{subject: func(it *app.ExportItem) error { return fw.Write(it.Subject) }, flush: func() error { return nil }}, nil
	case "stix":
		info, err := node.Store.Node(ctx)
		if err != nil {
			return nil, err
		}
		agency := info.Agency.Code
		sw := stix.NewWriter(w, info.Agency, node.Clock.Now())
		return &formatWriter{subject: func(it *app.ExportItem) error {
			targets := map[string]string{}
			for id, src := range it.Targets {
				targets[id] = stix.ExportID(agency, &forewarn.Subject{ID: id, Sources: src})
			}
			return sw.WriteHolding(&stix.Holding{Subject: it.Subject, Claims: it.Claims, Associations: it.Associations, TargetIDs: targets, Original: it.Original})
		}, message: sw.WriteMessage, flush: sw.Close}, nil
	}
	return nil, fmt.Errorf("format %q is not supported yet", format)
}
