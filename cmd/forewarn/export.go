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
		"Writes the node's subjects as FtM JSON lines, CSV (with claims) or a STIX 2.1 bundle. Names\n"+
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
	write, flush, err := exportWriter(ctx, node, *format, bw)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	rep, err := node.ExportSubjects(ctx, nf.actor(), app.ExportOptions{Format: *format, Backup: *backup, Claims: *format == "csv"}, write)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := flush(); err != nil {
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
	fmt.Fprintf(m.Stderr, "exported %d subjects; %d names and claims held back by their handling marks\n", rep.Subjects, rep.Withheld)
	return nil
}

// exportWriter returns the format's writer: a function per subject and a final flush.
func exportWriter(ctx context.Context, node *app.Node, format string, w io.Writer) (func(*forewarn.Subject, []*forewarn.Claim) error, func() error, error) {
	switch format {
	case "csv":
		cw := personcsv.NewWriter(w)
		return func(s *forewarn.Subject, cs []*forewarn.Claim) error { return cw.Write(s, cs) }, cw.Flush, nil
	case "ftm":
		fw := ftm.NewWriter(w)
		return func(s *forewarn.Subject, _ []*forewarn.Claim) error { return fw.Write(s) }, func() error { return nil }, nil
	case "stix":
		info, err := node.Store.Node(ctx)
		if err != nil {
			return nil, nil, err
		}
		sw := stix.NewWriter(w, info.Agency, node.Clock.Now())
		return func(s *forewarn.Subject, _ []*forewarn.Claim) error { return sw.Write(s) }, sw.Close, nil
	}
	return nil, nil, fmt.Errorf("format %q is not supported yet", format)
}
