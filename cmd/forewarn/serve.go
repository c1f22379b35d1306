package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/httpapi"
)

// serveFlags are the flags of a running node.
type serveFlags struct {
	listen        string
	allowInsecure bool
	metricsToken  string
	tlsCert       string
	tlsKey        string
	tlsCA         string
	tick          time.Duration
	replayWindow  time.Duration
	retryBase     time.Duration
	retryMax      time.Duration
	// deliveryTimeout bounds one delivery attempt; a claimed delivery is this server's for
	// twice as long.
	deliveryTimeout time.Duration
	// checkpointInterval signs a checkpoint this often when entries were added; 0: off.
	checkpointInterval time.Duration
	notify             *notifyFlags // nil: defaults (local capture)
	// language is the pages' language for users who chose none ("" : each browser's).
	language string
}

func addServeFlags(fs *flag.FlagSet) *serveFlags {
	f := &serveFlags{}
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.BoolVar(&f.allowInsecure, "allow-insecure-http", false, "deliver to peers over plain HTTP even when they are not on loopback")
	fs.StringVar(&f.metricsToken, "metrics-token", "", "bearer token /metrics requires; without one, /metrics answers loopback clients only")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate: serve HTTPS, and present it to peers as the client certificate")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "PEM CA for mutual TLS: peers' certificates must chain to it, both ways")
	durationVar(fs, &f.tick, "tick", time.Second, "how often the delivery worker and escalation scheduler run")
	durationVar(fs, &f.replayWindow, "replay-window", app.DefaultReplayWindow, "refuse a never-seen message written longer ago than this (0: any age, shown as late)")
	durationVar(fs, &f.retryBase, "retry-base", app.DefaultRetryBase, "first delay before retrying a failed delivery (doubles, with jitter)")
	durationVar(fs, &f.retryMax, "retry-max", app.DefaultRetryMax, "longest delay between delivery attempts")
	durationVar(fs, &f.deliveryTimeout, "delivery-timeout", app.DefaultDeliveryTimeout, "how long one delivery attempt may take; another server on the same store takes over a delivery twice as long after this one claimed it")
	durationVar(fs, &f.checkpointInterval, "checkpoint-interval", app.DefaultCheckpointInterval, "sign a checkpoint of the audit chain this often when entries were added (0: by count only); each is sent to the peers to countersign")
	fs.StringVar(&f.language, "language", "", "the language of the web pages for users who chose none: "+strings.Join(forewarn.Languages, " or ")+" (default: each browser's)")
	f.notify = addNotifyFlags(fs)
	return f
}

// check refuses timings a node cannot run with, naming the flag.
func (f *serveFlags) check() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--tick", f.tick}, {"--replay-window", f.replayWindow}, {"--retry-base", f.retryBase}, {"--retry-max", f.retryMax}, {"--delivery-timeout", f.deliveryTimeout}} {
		if d.flag == "--replay-window" && d.v < 0 {
			return forewarn.Invalid(d.flag, "min", "%s: must be 0 (a message of any age) or a positive duration, like 7d", d.v)
		}
		if d.v <= 0 && d.flag != "--replay-window" {
			return forewarn.Invalid(d.flag, "min", "%s: must be a positive duration, like 1s, 5m or 7d", d.v)
		}
	}
	if !forewarn.ValidLanguage(f.language) {
		return forewarn.Invalid("--language", "enum", "unknown language %q (one of %s)", f.language, strings.Join(forewarn.Languages, ", "))
	}
	if f.retryMax < f.retryBase {
		return forewarn.Invalid("--retry-max", "min", "%s is shorter than --retry-base %s", f.retryMax, f.retryBase)
	}
	return nil
}

func runServe(ctx context.Context, m *Main, args []string) error {
	flags := m.newFlagSet("serve",
		"Runs a node: the HTTP server (health at /healthz, Prometheus metrics at /metrics, the JSON API\nunder /api/v1/, peers' deliveries at /federation/v1/messages), the delivery worker and the\nescalation scheduler. Stops gracefully on SIGINT or SIGTERM. When the default data directory (no\n--data) holds no node yet, it creates one there first (saying what) and prints the first\nadministrator's password; any other directory needs 'forewarn init' first.",
		"forewarn serve --data /var/lib/forewarn --listen 127.0.0.1:8080")
	nf := addNodeFlags(flags)
	sf := addServeFlags(flags)
	code := flags.String("agency", "ZZ-LOCAL", "agency code for a node created on first start in the default data directory")
	name := flags.String("name", "Local Forewarn node", "agency name for a node created on first start in the default data directory")
	if err := m.parseFlags(flags, args); err != nil {
		return err
	}
	if nf.logLevel == "" {
		nf.logLevel = "info"
	}
	if err := sf.check(); err != nil {
		return err
	}
	if err := nf.check(); err != nil {
		return err
	}
	explicitDir := nf.data != ""
	dir, err := nf.dataDir()
	if err != nil {
		return err
	}
	// Check the address before anything is created, so a busy port leaves nothing behind.
	if err := checkListen("listen", sf.listen); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, keyFileName)); errors.Is(err, fs.ErrNotExist) {
		// Only the default directory gets a node by itself: a --data that names no node is
		// far more often a typo than a wish for a brand-new node with a new key.
		if err := storeWithoutKey(dir); err != nil {
			return err
		}
		if explicitDir {
			return fmt.Errorf("--data %s: no node there (no %s); create one with 'forewarn init --data %s --agency CODE --name NAME', or check the path", dir, keyFileName, dir)
		}
		if !dirEmpty(dir) {
			return fmt.Errorf("the default data directory %s holds files but no node (no %s); move them away or create a node there with 'forewarn init'", dir, keyFileName)
		}
		// Creating the store applies every migration; at info level that is dozens of
		// lines above the one-time password, which must not scroll away unread.
		quiet := *nf
		if quiet.logLevel == "info" {
			quiet.logLevel = "warn"
		}
		node, password, err := m.initNode(ctx, &quiet, dir, forewarn.Agency{Code: *code, Name: *name}, "admin")
		if err != nil {
			return err
		}
		node.Store.Close()
		store := filepath.Join(dir, dbFileName) + " (SQLite)"
		if nf.db != "" {
			store = "PostgreSQL schema at --db, recorded in " + filepath.Join(dir, storeFileName)
		}
		fmt.Fprintf(m.Stdout, "No node in the default data directory %s yet: created %s (%s) there:\n", dir, *code, *name)
		fmt.Fprintf(m.Stdout, "  key pair   %s (private, mode 0600; peers pin its public half: 'forewarn key show')\n", filepath.Join(dir, keyFileName))
		fmt.Fprintf(m.Stdout, "  store      %s\n", store)
		fmt.Fprintf(m.Stdout, "First administrator: admin, one-time password: %s (shown once; change it at first login)\n", password)
	}
	rt, err := m.startRuntime(ctx, nf, sf, forewarn.SystemClock{}, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Forewarn node %s serving on %s\n", rt.agency, rt.url)
	<-ctx.Done()
	rt.node.Logger.Info("shutting down")
	return rt.Close()
}

// liveNode is a running node: its core, messaging, HTTP server and scheduler.
type liveNode struct {
	node *app.Node
	msgs *app.Messages
	srv  *httpapi.Server
	// notifier sends the notification outbox: e-mail and webhooks.
	notifier *app.Notifier
	// taxii serves the node's TAXII collections; feeds polls the partners' ones.
	taxii  *app.TAXII
	feeds  *app.Feeds
	agency string
	url    string
	// language is the pages' default language (serve --language).
	language string
	dir      string
	cancel   context.CancelFunc
	done     chan struct{}
}

// startRuntime opens the node and starts serving it. With autoTick the delivery worker and
// escalation scheduler run on a timer; without, the caller ticks (the scenario replay,
// on a simulated clock).
func (m *Main) startRuntime(ctx context.Context, nf *nodeFlags, sf *serveFlags, clock forewarn.Clock, autoTick bool) (*liveNode, error) {
	node, err := m.openNodeAt(ctx, nf, clock)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*liveNode, error) {
		node.Store.Close()
		return nil, err
	}
	if err := node.LoadMatcher(ctx); err != nil {
		return fail(fmt.Errorf("build the match index: %w", err))
	}
	var clientTLS *federation.TLSFiles
	if sf.tlsCert != "" || sf.tlsCA != "" {
		clientTLS = &federation.TLSFiles{Cert: sf.tlsCert, Key: sf.tlsKey, CA: sf.tlsCA}
	}
	client, err := federation.NewClient(clientTLS, sf.allowInsecure, 30*time.Second)
	if err != nil {
		return fail(err)
	}
	msgs := app.NewMessages(node, client)
	msgs.ReplayWindow = sf.replayWindow
	msgs.CheckpointInterval = sf.checkpointInterval
	if sf.retryBase > 0 {
		msgs.RetryBase = sf.retryBase
	}
	if sf.retryMax > 0 {
		msgs.RetryMax = sf.retryMax
	}
	msgs.DeliveryTimeout = sf.deliveryTimeout
	if nf.db != "" {
		msgs.TakesInFlight = app.GroupedTakesInFlight // PostgreSQL commits arrivals in pipelined groups
	}
	srv := httpapi.NewServer(node, node.Logger)
	srv.AllowInsecurePeers, srv.MetricsToken = sf.allowInsecure, sf.metricsToken
	srv.SetMessages(msgs)
	srv.Importer = &httpapi.Importer{Reader: uploadReader}
	serverTLS, err := serverTLSConfig(sf)
	if err != nil {
		return fail(err)
	}
	if err := srv.Open(sf.listen, serverTLS); err != nil {
		return fail(fmt.Errorf("listen on %s: %w", sf.listen, err))
	}
	// The server's name is its host and address, which no other live process can hold
	// now that this one listens on it: what a previous run by that name claimed and did
	// not finish, it will never finish, so it is due again at once.
	host, _ := os.Hostname()
	node.Server = host + " " + srv.Addr()
	if n, err := node.Store.ReleaseClaims(ctx, node.Server, clock.Now()); err != nil {
		srv.Close(ctx)
		return fail(err)
	} else if n > 0 {
		node.Logger.Info("took back the work a previous run of this server had claimed", "count", n)
	}
	info, err := node.Store.Node(ctx)
	if err != nil {
		srv.Close(ctx)
		return fail(err)
	}
	scheme := "http"
	if serverTLS != nil {
		scheme = "https"
	}
	rt := &liveNode{node: node, msgs: msgs, srv: srv, agency: info.Agency.Code, url: scheme + "://" + srv.Addr(), dir: nf.data, done: make(chan struct{}), language: sf.language}
	if rt.notifier, err = newNotifier(node, sf.notify, rt.agency, nf.data, rt.url); err != nil {
		srv.Close(ctx)
		return fail(err)
	}
	msgs.Notifier = rt.notifier
	srv.SetNotifier(rt.notifier)
	mountTAXII(rt, info.Agency)
	mountWeb(rt)
	wctx, cancel := context.WithCancel(context.Background())
	collected := app.CollectForServing()
	rt.cancel = func() { cancel(); collected() }
	go func() {
		defer close(rt.done)
		if autoTick {
			// Between matches too, the index follows what other processes write.
			following := make(chan struct{})
			go func() { defer close(following); node.Matcher.Follow(wctx, sf.tick, node.Logger) }()
			// Notifications run on their own, so a mail server or webhook that hangs
			// never holds up delivering and escalating messages.
			notified := make(chan struct{})
			go func() { defer close(notified); rt.notifier.Run(wctx, sf.tick) }()
			refusals := make(chan struct{})
			go func() { defer close(refusals); node.Refusals.Run(wctx) }()
			defer func() { <-refusals }()
			polled := make(chan struct{})
			go func() { defer close(polled); rt.feeds.Run(wctx, sf.tick, node.Logger) }()
			defer func() { <-polled }()
			msgs.Run(wctx, sf.tick)
			<-following
			<-notified
		}
	}()
	node.Logger.Info("serving", "agency", rt.agency, "url", rt.url)
	return rt, nil
}

// Close stops the scheduler, drains requests, signs a final audit checkpoint and closes
// the store.
func (rt *liveNode) Close() error {
	rt.cancel()
	<-rt.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := rt.srv.Close(ctx)
	// Arrivals answered are still being matched late: their matches and alerts are
	// written before the final checkpoint seals the chain.
	rt.msgs.WaitLate()
	// Refusals still being counted are audited before the final checkpoint seals them.
	rt.node.Refusals.Flush(ctx)
	if _, cerr := rt.node.Store.CheckpointAudit(ctx); cerr != nil {
		rt.node.Logger.Error("final audit checkpoint failed", "err", cerr)
	}
	if cerr := rt.node.Store.Close(); err == nil {
		err = cerr
	}
	return err
}

// serverTLSConfig returns the HTTPS configuration, or nil for plain HTTP. With a CA, a
// client certificate is verified when presented; the federation endpoint then requires one.
func serverTLSConfig(sf *serveFlags) (*tls.Config, error) {
	if sf.tlsCert == "" {
		if sf.tlsCA != "" || sf.tlsKey != "" {
			return nil, fmt.Errorf("--tls-key and --tls-ca need --tls-cert")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(sf.tlsCert, sf.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("load --tls-cert %s / --tls-key %s: %w", sf.tlsCert, sf.tlsKey, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if sf.tlsCA != "" {
		pem, err := os.ReadFile(sf.tlsCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", sf.tlsCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// checkListen says clearly when the address to serve on is taken or invalid.
func checkListen(flag, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("--%s %s: the address is in use (another node or program listens there); choose another, like --%s 127.0.0.1:8081", flag, addr, flag)
		}
		return fmt.Errorf("--%s %s: %v (want HOST:PORT, like 127.0.0.1:8080)", flag, addr, err)
	}
	return ln.Close()
}

func dirEmpty(dir string) bool {
	entries, err := os.ReadDir(dir)
	return errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0)
}
