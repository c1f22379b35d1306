package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/stix"
	"github.com/forewarn/forewarn/taxii"
)

func runFeed(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "feed", args, []subcommand{{"add", runFeedAdd}, {"list", runFeedList}, {"remove", runFeedRemove}})
}

func runFeedAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("feed add", "Subscribes to a partner's TAXII 2.1 collection (MISP, OpenCTI, another Forewarn node). The running\nnode polls it every --interval for what was added since the last poll; the persons it brings in\nare received intelligence attributed to --agency, matched against your subjects on arrival.\nWith --user, the token is sent as that user's HTTP Basic password; without, as a bearer token.",
		"forewarn feed add --data DIR --agency FR-DGSI --url https://taxii.dgsi.example/taxii2/api/ --collection 365fed99-08fa-fdcd-a1b3-fb247eb41d01 --token-file dgsi.token")
	nf := addNodeFlags(fs)
	agency := fs.String("agency", "", "the partner agency the feed speaks for, like FR-DGSI (required)")
	url := fs.String("url", "", "the partner's TAXII API root URL (https://…; http only on loopback) (required)")
	collection := fs.String("collection", "", "the collection's ID at that API root (required)")
	user := fs.String("user", "", "HTTP Basic user name; the token is then its password")
	token := fs.String("token", "", "the token (or password) to poll with; prefer --token-file, which keeps it out of the process list")
	tokenFile := fs.String("token-file", "", "a file holding the token (or password)")
	var interval time.Duration
	durationVar(fs, &interval, "interval", 5*time.Minute, "how often to poll")
	insecure := fs.Bool("allow-insecure-http", false, "allow a plain-HTTP URL to a host that is not loopback")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := federation.CheckPeerURL(*url, *insecure); err != nil {
		return err
	}
	secret := *token
	// --token is node-wide elsewhere (the API token, from FOREWARN_TOKEN): here it is the
	// partner's secret, so only one typed on this command line counts.
	if !slices.ContainsFunc(args, func(a string) bool {
		a = strings.TrimLeft(a, "-")
		return a == "token" || strings.HasPrefix(a, "token=")
	}) {
		secret = ""
	}
	if *tokenFile != "" {
		if secret != "" {
			return forewarn.Invalid("--token-file", "one_of", "give --token or --token-file, not both")
		}
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("--token-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		return forewarn.Invalid("--token", "required", "give the token to poll with: --token-file FILE (or --token)")
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	f := &forewarn.Feed{Agency: *agency, URL: *url, Collection: *collection, Username: *user, Secret: secret, Interval: interval}
	if err := node.Store.AddFeed(ctx, nf.actor(), f); err != nil {
		return cliFields(err, map[string]string{"agency": "--agency", "url": "--url", "collection": "--collection", "interval": "--interval"})
	}
	fmt.Fprintf(m.Stdout, "Added feed %s: %s every %s, for %s\n", f.ID, taxii.ObjectsURL(f), f.Interval, f.Agency)
	return nil
}

// cliFields names the flag behind a core field in a validation error.
func cliFields(err error, flags map[string]string) error {
	if fe, ok := err.(*forewarn.Error); ok && flags[fe.Field] != "" {
		v := *fe
		v.Field = flags[fe.Field]
		return &v
	}
	return err
}

func runFeedList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("feed list", "Lists the TAXII feeds this node polls, with their health: when each last succeeded, how many\npolls failed in a row and why, and what each brought in (persons, and objects kept raw).", "forewarn feed list --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	feeds, err := node.Store.Feeds(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAGENCY\tURL\tCOLLECTION\tHEALTH\tLAST SUCCESS\tPERSONS\tRAW")
	for _, f := range feeds {
		health := "healthy"
		if !f.Healthy() {
			health = fmt.Sprintf("UNHEALTHY (%d failures: %s)", f.Failures, f.LastError)
		} else if f.LastSuccess.IsZero() {
			health = "not polled yet"
		}
		last := "-"
		if !f.LastSuccess.IsZero() {
			last = f.LastSuccess.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", f.ID, f.Agency, f.URL, f.Collection, health, last, f.Persons, f.Raw)
	}
	return tw.Flush()
}

func runFeedRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("feed remove", "Stops polling a feed; what it brought in stays.", "forewarn feed remove --data DIR FEED-ID")
	nf := addNodeFlags(fs)
	m.positional(fs, "FEED-ID")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	if err := node.Store.RemoveFeed(ctx, nf.actor(), fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Removed feed %s\n", fs.Arg(0))
	return nil
}

func runTAXII(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "taxii", args, []subcommand{
		{"collection", runTAXIICollection}, {"collections", runTAXIICollections}, {"token", runTAXIIToken}, {"publish", runTAXIIPublish}})
}

func runTAXIICollection(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("taxii collection", "Creates a TAXII collection for an audience: an agency it is releasable to, a TLP ceiling,\nor both. An object is in it only when its handling marks allow the audience.",
		"forewarn taxii collection --data DIR --title 'Releasable to FR-DGSI' --audience FR-DGSI")
	nf := addNodeFlags(fs)
	title := fs.String("title", "", "the collection's title (required)")
	desc := fs.String("description", "", "what it holds")
	audience := fs.String("audience", "", "the agency it is releasable to, like FR-DGSI")
	tlp := fs.String("tlp", "", "the most restrictive TLP it carries: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
	write := fs.Bool("write", false, "let writing tokens POST objects to it")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	c := &forewarn.TAXIICollection{Title: *title, Description: *desc, Audience: *audience, TLP: forewarn.TLP(strings.ToUpper(*tlp)), CanWrite: *write}
	if err := node.Store.CreateCollection(ctx, nf.actor(), c); err != nil {
		return cliFields(err, map[string]string{"title": "--title", "description": "--description", "audience": "--audience", "tlp": "--tlp"})
	}
	fmt.Fprintf(m.Stdout, "Created collection %s (%s)\n", c.ID, c.Title)
	return nil
}

func runTAXIICollections(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("taxii collections", "Lists the node's TAXII collections.", "forewarn taxii collections --data DIR")
	nf := addStoreFlags(fs)
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	cs, err := node.Store.Collections(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tAUDIENCE\tTLP\tWRITE")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\n", c.ID, c.Title, c.Audience, c.TLP, c.CanWrite)
	}
	return tw.Flush()
}

func runTAXIIToken(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("taxii token", "Creates a token a partner reads (and with --write, adds to) some TAXII collections with, and\nprints it once. Send it as a bearer token, or over HTTP Basic with --name as the user.",
		"forewarn taxii token --data DIR --name dgsi --agency FR-DGSI --collection ID")
	nf := addNodeFlags(fs)
	name := fs.String("name", "", "the token's name: the HTTP Basic user (required)")
	agency := fs.String("agency", "", "the agency that reads with it; handling marks are checked against it (required)")
	var colls stringList
	fs.Var(&colls, "collection", "a collection it may use (repeatable) (required)")
	write := fs.Bool("write", false, "let it POST objects to writable collections")
	days := fs.Int("days", int(forewarn.DefaultTokenTTL.Hours()/24), "how many days the token lasts (1 to 366)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	ttl, err := app.TokenDays(*days)
	if err != nil || *days == 0 {
		return fmt.Errorf("--days %d: a token lasts 1 to %d days", *days, int(forewarn.MaxTokenTTL.Hours()/24))
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	t := &app.TAXII{Node: node, Codec: stix.Codec{}}
	secret, tok, err := t.NewTAXIIToken(ctx, nf.actor(), *name, *agency, colls, *write, ttl)
	if err != nil {
		return cliFields(err, map[string]string{"name": "--name", "agency": "--agency", "collections": "--collection"})
	}
	fmt.Fprintf(m.Stdout, "Created TAXII token %s for %s, until %s. It is shown once:\n%s\n", tok.Name, tok.Agency, tok.ExpiresAt.Format("2006-01-02"), secret)
	return nil
}

func runTAXIIPublish(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("taxii publish", "Publishes a subject to a TAXII collection as a STIX identity, with handling marks; publishing\nit again after it changed adds a new version.",
		"forewarn taxii publish --data DIR --collection ID --tlp GREEN SUBJECT-ID")
	nf := addNodeFlags(fs)
	m.positional(fs, "SUBJECT-ID")
	collection := fs.String("collection", "", "the collection (required)")
	tlp := fs.String("tlp", "", "TLP level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED (required)")
	var release stringList
	fs.Var(&release, "release", "an agency it may be released to (repeatable)")
	node, err := m.parseAndOpen(ctx, fs, nf, args)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	t := &app.TAXII{Node: node, Codec: stix.Codec{}}
	o, err := t.PublishSubject(ctx, nf.actor(), *collection, fs.Arg(0), forewarn.HandlingMarks{TLP: forewarn.TLP(strings.ToUpper(*tlp)), ReleasableTo: release})
	if err != nil {
		return cliFields(err, map[string]string{"marks.tlp": "--tlp", "marks.releasable_to": "--release"})
	}
	fmt.Fprintf(m.Stdout, "Published %s as %s version %s\n", fs.Arg(0), o.ID, o.Version)
	return nil
}
