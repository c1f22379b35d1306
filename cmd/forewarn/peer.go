package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/federation"
)

func runKey(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "key", args, []subcommand{{"show", runKeyShow}})
}

func runKeyShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("key show", "Prints this node's agency code and public key, for its peers to pin.",
		"forewarn key show --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	info, err := node.Store.Node(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s %s\n", info.Agency.Code, forewarn.EncodePublicKey(info.PublicKey))
	return nil
}

func runPeer(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "peer", args, []subcommand{{"add", runPeerAdd}, {"list", runPeerList}, {"remove", runPeerRemove}, {"private-limit", runPeerPrivateLimit}, {"private-use", runPeerPrivateUse}})
}

func runPeerAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("peer add", "Registers a partner agency's node: its code, base URL and public key, which is pinned:\nonly messages signed by exactly this key are accepted from it.",
		"forewarn peer add --data DIR --agency TR-MIT --name 'MIT' --url https://forewarn.mit.gov.tr --key ed25519:BASE64")
	nf := addNodeFlags(fs)
	code := fs.String("agency", "", "the peer's agency code, like FR-DGSI (required)")
	name := fs.String("name", "", "the peer agency's name (required)")
	url := fs.String("url", "", "the peer node's base URL (https://…; http only on loopback) (required)")
	key := fs.String("key", "", "the peer's public key as 'forewarn key show' prints it: 'AGENCY ed25519:…' or just 'ed25519:…' (required)")
	insecure := fs.Bool("allow-insecure-http", false, "allow a plain-HTTP URL to a host that is not loopback")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	pub, err := forewarn.ParsePublicKey(*key)
	if err != nil {
		return forewarn.Invalid("--key", "ed25519", "%v", err)
	}
	if err := federation.CheckPeerURL(*url, *insecure); err != nil {
		return err
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := keyForAgency(ctx, node.Store, *key, *code, pub); err != nil {
		return err
	}
	p := &forewarn.Peer{Agency: forewarn.Agency{Code: *code, Name: *name}, BaseURL: *url, PublicKey: pub}
	if err := node.Store.AddPeer(ctx, nf.actor(), p); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Added peer %s at %s\n", p.Agency.Code, p.BaseURL)
	return nil
}

func runPeerList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("peer list", "Lists the partner agencies this node exchanges messages with.", "forewarn peer list --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	peers, err := node.Store.Peers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENCY\tNAME\tURL\tKEY")
	for _, p := range peers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Agency.Code, p.Agency.Name, p.BaseURL, forewarn.EncodePublicKey(p.PublicKey))
	}
	return tw.Flush()
}

func runPeerRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("peer remove", "Removes a partner agency: its messages are no longer accepted or sent; what was exchanged stays.",
		"forewarn peer remove --data DIR --agency TR-MIT")
	nf := addNodeFlags(fs)
	code := fs.String("agency", "", "the peer's agency code (required)")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.Store.RemovePeer(ctx, nf.actor(), *code); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Removed peer %s\n", *code)
	return nil
}

// keyForAgency refuses a key pasted whole from 'forewarn key show' on another agency's node
// than --agency names (the wrong peer's key, or the wrong --agency). The store says more
// where it refuses anyway: this node's own code or key, a key pinned for another peer.
func keyForAgency(ctx context.Context, store forewarn.Store, key, code string, pub ed25519.PublicKey) error {
	f := strings.Fields(key)
	if len(f) != 2 || !forewarn.IsAgencyCode(f[0]) || f[0] == code {
		return nil
	}
	info, err := store.Node(ctx)
	if err != nil {
		return err
	}
	if code == info.Agency.Code || f[0] == info.Agency.Code || info.PublicKey.Equal(pub) {
		return nil
	}
	peers, err := store.Peers(ctx)
	if err != nil {
		return err
	}
	for _, p := range peers {
		if p.PublicKey.Equal(pub) {
			return nil
		}
	}
	return forewarn.Invalid("--key", "key_agency", "that is %s's key, as 'forewarn key show' printed it on %s's node, not %s's: pin each peer's own key", f[0], f[0], code)
}
