package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/forewarn/forewarn"
)

// purposeFlags are --purpose and --purpose-text, which every command that opens a person
// takes: the purpose is recorded in the audit entry of the read.
type purposeFlags struct {
	code, text string
}

func addPurposeFlags(fs *flag.FlagSet) *purposeFlags {
	return addPurposeFlagsWhen(fs, "(required)")
}

// addPurposeFlagsWhen is addPurposeFlags for a command that needs a purpose only for some
// of what it reads; when says for which (the node refuses without one there).
func addPurposeFlagsWhen(fs *flag.FlagSet, when string) *purposeFlags {
	f := &purposeFlags{}
	fs.StringVar(&f.code, "purpose", "", "why you open this person's data, one of the node's purposes ('forewarn purpose list'; by default investigation, threat-assessment, liaison-request, oversight, other) "+when)
	fs.StringVar(&f.text, "purpose-text", "", "a few words saying why, where the purpose needs them (other)")
	return f
}

func (f *purposeFlags) purpose() forewarn.Purpose {
	return forewarn.Purpose{Code: f.code, Text: f.text}
}

// query is the purpose as the API's query parameters.
func (f *purposeFlags) query() string {
	v := url.Values{}
	if f.code != "" {
		v.Set("purpose", f.code)
	}
	if f.text != "" {
		v.Set("purpose_text", f.text)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func runPurpose(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "purpose", args, []subcommand{{"list", runPurposeList}, {"set", runPurposeSet}, {"remove", runPurposeRemove},
		{"default", runPurposeDefault}, {"search", runPurposeSearch}})
}

// changePurposes reads the node's purpose policy, lets change edit it, and stores it.
func (m *Main) changePurposes(ctx context.Context, nf *nodeFlags, change func(p *forewarn.PurposePolicy) error) error {
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	p, err := node.Store.PurposePolicy(ctx)
	if err != nil {
		return err
	}
	if err := change(p); err != nil {
		return err
	}
	if err := node.Store.SetPurposePolicy(ctx, nf.actor(), p); err != nil {
		return err
	}
	return printPurposes(m, p)
}

func printPurposes(m *Main, p *forewarn.PurposePolicy) error {
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tLABEL\tTEXT\tDEFAULT FOR")
	for _, o := range p.Options {
		text := "-"
		if o.TextRequired {
			text = "required"
		}
		var roles []string
		for _, r := range forewarn.Roles {
			if p.RoleDefaults[r] == o.Code {
				roles = append(roles, string(r))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Code, o.Label, text, dash(strings.Join(roles, ",")))
	}
	tw.Flush()
	if p.SearchNeedsPurpose {
		fmt.Fprintln(m.Stdout, "Search shows who it found only for a purpose.")
	} else {
		fmt.Fprintln(m.Stdout, "Search shows who it found without a purpose.")
	}
	return nil
}

func runPurposeList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("purpose list", "Lists the purposes of access a person may give when opening personal data, the one\npre-selected for each role, and whether search needs a purpose before it shows names.",
		"forewarn purpose list --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	p, err := node.Store.PurposePolicy(ctx)
	if err != nil {
		return err
	}
	return printPurposes(m, p)
}

func runPurposeSet(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("purpose set", "Adds a purpose of access to the node's list, or changes the one with that code. Audited.",
		"forewarn purpose set --data DIR --code court-order --label 'Court order' --text-required")
	nf := addNodeFlags(fs)
	code := fs.String("code", "", "the purpose's code: lower-case letters, digits and '-' (required)")
	label := fs.String("label", "", "what people see on the list (required)")
	text := fs.Bool("text-required", false, "people giving this purpose must say why in a few words")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	return m.changePurposes(ctx, nf, func(p *forewarn.PurposePolicy) error {
		o := forewarn.PurposeOption{Code: *code, Label: *label, TextRequired: *text}
		if i := slices.IndexFunc(p.Options, func(x forewarn.PurposeOption) bool { return x.Code == *code }); i >= 0 {
			p.Options[i] = o
		} else {
			p.Options = append(p.Options, o)
		}
		return nil
	})
}

func runPurposeRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("purpose remove", "Takes a purpose off the node's list (and off the roles it was the default of). Audited;\nconsultations made for it keep it in the audit trail.",
		"forewarn purpose remove --data DIR court-order")
	nf := addNodeFlags(fs)
	m.positional(fs, "CODE")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	code := fs.Arg(0)
	return m.changePurposes(ctx, nf, func(p *forewarn.PurposePolicy) error {
		i := slices.IndexFunc(p.Options, func(x forewarn.PurposeOption) bool { return x.Code == code })
		if i < 0 {
			return forewarn.Errorf(forewarn.ENOTFOUND, "there is no purpose %q on the list", code)
		}
		p.Options = slices.Delete(p.Options, i, i+1)
		for r, c := range p.RoleDefaults {
			if c == code {
				delete(p.RoleDefaults, r)
			}
		}
		return nil
	})
}

func runPurposeDefault(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("purpose default", "Sets the purpose pre-selected for a role on the pages (it is offered, never recorded unless\nthe person chooses it); --code '' clears it. Audited.",
		"forewarn purpose default --data DIR --role analyst --code investigation")
	nf := addNodeFlags(fs)
	role := fs.String("role", "", "the role (required)")
	code := fs.String("code", "", "the purpose pre-selected for it; empty: none")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	return m.changePurposes(ctx, nf, func(p *forewarn.PurposePolicy) error {
		r := forewarn.Role(*role)
		if !r.Valid() {
			return forewarn.Invalid("role", "enum", "unknown role %q", *role)
		}
		if p.RoleDefaults == nil {
			p.RoleDefaults = map[forewarn.Role]string{}
		}
		if *code == "" {
			delete(p.RoleDefaults, r)
		} else {
			p.RoleDefaults[r] = *code
		}
		return nil
	})
}

func runPurposeSearch(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("purpose search", "Says whether search shows who it found (names, explanations) only once a purpose is given\n(on, the default) or without one (off). Audited.",
		"forewarn purpose search --data DIR on")
	nf := addNodeFlags(fs)
	m.positional(fs, "on|off")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	var on bool
	switch fs.Arg(0) {
	case "on":
		on = true
	case "off":
	default:
		return forewarn.Invalid("on|off", "enum", "say on or off, not %q", fs.Arg(0))
	}
	return m.changePurposes(ctx, nf, func(p *forewarn.PurposePolicy) error {
		p.SearchNeedsPurpose = on
		return nil
	})
}
