package main

import (
	"context"
	"fmt"

	"github.com/forewarn/forewarn"
)

func runInit(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("init",
		"Creates a node: its data directory, SQLite database (or schema in --db), ed25519 key pair\n(private key mode 0600) and first administrator, whose one-time password is printed once.\nRefuses to overwrite an existing node.",
		"forewarn init --data /var/lib/forewarn --agency FR-DGSI --name 'Direction générale de la sécurité intérieure' --country FR")
	nf := addNodeFlags(fs)
	code := fs.String("agency", "", "the agency's code: country, hyphen, 2-16 capitals or digits (TR-MIT)")
	name := fs.String("name", "", "the agency's name")
	country := fs.String("country", "", "the agency's country, ISO 3166-1 alpha-2 (default: the code's prefix when it is one)")
	admin := fs.String("admin", "admin", "username of the first administrator")
	m.require(fs, "agency", "name")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	ag := forewarn.Agency{Code: *code, Name: *name, Country: *country}
	if ag.Country == "" && len(ag.Code) > 2 && forewarn.IsCountry(ag.Code[:2]) {
		ag.Country = ag.Code[:2]
	}
	dir, err := nf.dataDir()
	if err != nil {
		return err
	}
	node, password, err := m.initNode(ctx, nf, dir, ag, *admin)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	fmt.Fprintf(m.Stdout, "Created node %s (%s) in %s\n", ag.Code, ag.Name, dir)
	fmt.Fprintf(m.Stdout, "First administrator: %s, one-time password: %s (change it at first login)\n", *admin, password)
	return nil
}
