package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/keyfile"
)

// cluster is several real nodes in one process, each with its own data directory, store
// and HTTP server on loopback, sharing one simulated clock: how the scenario replays run
// years of casework in seconds while every message still crosses a real socket.
type cluster struct {
	clock  *app.SimClock
	nodes  map[string]*liveNode
	order  []string
	out    io.Writer
	dsnFor func(code string) string
	down   map[string]string // stopped nodes, by agency: the address each comes back on

	mailMu sync.Mutex
	mail   []string // e-mail lines of the step under way, printed under its heading
}

// flags are the node flags of one agency's node in the cluster.
func (c *cluster) flags(dir, code string) *nodeFlags {
	nf := &nodeFlags{data: dir, checkpointEvery: 10, logLevel: "error", as: "setup"}
	if c.dsnFor != nil {
		nf.db = c.dsnFor(code)
	}
	return nf
}

// demoPassword is every demo login's password: the demo is for walking through, not for
// keeping secrets.
const demoPassword = "forewarn-demo"

// demoRoles are the accounts every demo node gets, one per role.
var demoRoles = []forewarn.Role{forewarn.RoleLiaison, forewarn.RoleAnalyst, forewarn.RoleSupervisor, forewarn.RoleOversight, forewarn.RoleAdmin}

// startCluster creates and starts one node per agency under dir, at start on a simulated
// clock, makes every node a pinned peer of every other, and gives each node one demo user
// per role. listen gives each agency's address; missing ones pick a free loopback port.
func (m *Main) startCluster(ctx context.Context, dir string, start time.Time, agencies []forewarn.Agency, listen map[string]string, out io.Writer) (*cluster, error) {
	return m.startClusterOn(ctx, dir, start, agencies, listen, out, nil)
}

// startClusterOn is startCluster with each agency's store chosen by dsnFor: a PostgreSQL
// DSN, or "" (and a nil dsnFor) for SQLite in the node's data directory.
func (m *Main) startClusterOn(ctx context.Context, dir string, start time.Time, agencies []forewarn.Agency, listen map[string]string, out io.Writer, dsnFor func(code string) string) (*cluster, error) {
	c := &cluster{clock: app.NewSimClock(start), nodes: map[string]*liveNode{}, out: out, dsnFor: dsnFor}
	for _, ag := range agencies {
		nf := c.flags(filepath.Join(dir, ag.Code), ag.Code)
		node, _, err := m.initNodeAt(ctx, nf, nf.data, ag, "admin", c.clock)
		if err != nil {
			c.Close()
			return nil, err
		}
		for _, r := range demoRoles {
			hash, err := app.HashPassword(demoPassword)
			if err == nil {
				err = node.Store.CreateUser(ctx, forewarn.SystemActor("demo"), &forewarn.User{Username: string(r), DisplayName: "Demo " + string(r), Roles: []forewarn.Role{r}, PasswordHash: hash})
			}
			if forewarn.ErrorCode(err) == forewarn.ECONFLICT {
				// The first administrator exists already, with a one-time password
				// nobody was shown: the demo prints one password for every login.
				err = demoPasswordFor(ctx, node, string(r), hash)
			}
			if err == nil {
				// Every demo user has an address, so the demo shows who would have
				// been e-mailed at each step.
				err = node.Store.SetNotificationSettings(ctx, forewarn.SystemActor("demo"),
					&forewarn.NotificationSettings{Username: string(r), Email: demoAddress(string(r), ag.Code)})
			}
			if err != nil {
				node.Store.Close()
				c.Close()
				return nil, err
			}
		}
		node.Store.Close()
		addr := listen[ag.Code]
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		rt, err := m.startRuntime(ctx, nf, &serveFlags{listen: addr, replayWindow: app.DefaultReplayWindow}, c.clock, false)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.nodes[ag.Code] = rt
		c.order = append(c.order, ag.Code)
		c.watchNotifications(rt)
	}
	for _, a := range c.order {
		for _, b := range c.order {
			if a == b {
				continue
			}
			peer := c.nodes[b]
			info, err := peer.node.Store.Node(ctx)
			if err != nil {
				c.Close()
				return nil, err
			}
			p := &forewarn.Peer{Agency: info.Agency, BaseURL: peer.url, PublicKey: info.PublicKey}
			if err := c.nodes[a].node.Store.AddPeer(ctx, forewarn.SystemActor("demo"), p); err != nil {
				c.Close()
				return nil, fmt.Errorf("pair %s with %s: %w", a, b, err)
			}
		}
	}
	return c, nil
}

// demoAddress is a demo user's e-mail address: liaison@fr-dgsi.example.
func demoAddress(username, agency string) string {
	return username + "@" + strings.ToLower(agency) + ".example"
}

// demoPasswordFor gives an existing user the demo password, to keep rather than change.
func demoPasswordFor(ctx context.Context, node *app.Node, username, hash string) error {
	u, err := node.Store.UserByUsername(ctx, username)
	if err != nil {
		return err
	}
	u.PasswordHash, u.MustChangePassword = hash, false
	return node.Store.UpdateUser(ctx, forewarn.SystemActor("demo"), u)
}

// restart stops an agency's node and starts it again on the same data directory, address
// and clock, as after a crash or an upgrade: whatever it must remember is in its store.
func (c *cluster) restart(ctx context.Context, m *Main, code string) error {
	if err := c.stop(code); err != nil {
		return err
	}
	return c.start(ctx, m, code)
}

// stop stops an agency's node, as a partner that is down: deliveries to it fail, and the
// cluster's rounds leave it out, until start.
func (c *cluster) stop(code string) error {
	old := c.nodes[code]
	if c.down == nil {
		c.down = map[string]string{}
	}
	c.down[code] = old.srv.Addr()
	return old.Close()
}

// start starts a node stop stopped, again on its data directory, address and the
// cluster's clock.
func (c *cluster) start(ctx context.Context, m *Main, code string) error {
	if _, ok := c.down[code]; !ok {
		return fmt.Errorf("%s is not stopped", code)
	}
	if err := c.reopen(ctx, m, code, c.nodes[code]); err != nil {
		return err
	}
	delete(c.down, code)
	return nil
}

// reopen starts again, on its data directory, address and clock, an agency's node that
// was closed (old): the end of an outage.
func (c *cluster) reopen(ctx context.Context, m *Main, code string, old *liveNode) error {
	addr := old.srv.Addr()
	nf := c.flags(old.dir, code)
	rt, err := m.startRuntime(ctx, nf, &serveFlags{listen: addr, replayWindow: app.DefaultReplayWindow}, c.clock, false)
	if err != nil {
		return err
	}
	c.nodes[code] = rt
	c.watchNotifications(rt)
	return nil
}

// up returns the agencies whose nodes run, in order.
func (c *cluster) up() []string {
	var codes []string
	for _, code := range c.order {
		if _, stopped := c.down[code]; !stopped {
			codes = append(codes, code)
		}
	}
	return codes
}

// watchNotifications prints each notification a node sends, at the simulated time:
// who would have been woken, and when. The e-mail itself is in the node's local capture
// (DATA/mail) unless a mail server is configured.
func (c *cluster) watchNotifications(rt *liveNode) {
	n := rt.notifier
	n.OnSent = func(x *forewarn.Notice) {
		if c.out == nil {
			return
		}
		what := strings.TrimPrefix(n.RenderEmail(x, n.Prepare(x)).Subject, "[Forewarn "+rt.agency+"] ")
		to := x.Address
		if x.Channel == forewarn.ChannelWebhook {
			to = "webhook " + x.Address
		}
		c.mailMu.Lock()
		c.mail = append(c.mail, fmt.Sprintf("                  ✉ %s %s e-mails %s: %s\n", x.CreatedAt.Format("2006-01-02 15:04"), rt.agency, to, what))
		c.mailMu.Unlock()
	}
}

// flushMail prints the e-mail lines held since the last step. A step's e-mails are held
// until its heading is said, so an e-mail about a warning never shows above the warning.
func (c *cluster) flushMail() {
	c.mailMu.Lock()
	lines := c.mail
	c.mail = nil
	c.mailMu.Unlock()
	if c.out == nil {
		return
	}
	for _, l := range lines {
		io.WriteString(c.out, l)
	}
}

// node returns the running node of an agency.
func (c *cluster) node(code string) *liveNode { return c.nodes[code] }

// at moves the shared clock to t and lets every node do what is due: deliver until
// nothing is left in flight, then escalate what is overdue.
func (c *cluster) at(ctx context.Context, t time.Time) error {
	c.flushMail() // what the last step sent, when no heading followed it
	c.clock.Set(t)
	for round := 0; round < 20; round++ {
		moved := 0
		for _, code := range c.up() {
			n, err := c.nodes[code].msgs.DeliverDue(ctx, 8)
			if err != nil {
				return fmt.Errorf("%s: deliver: %w", code, err)
			}
			moved += n
		}
		if moved == 0 {
			break
		}
	}
	for _, code := range c.up() {
		if _, err := c.nodes[code].msgs.Escalate(ctx); err != nil {
			return fmt.Errorf("%s: escalate: %w", code, err)
		}
	}
	for _, code := range c.up() {
		if err := c.nodes[code].msgs.CheckpointIfDue(ctx); err != nil {
			return fmt.Errorf("%s: checkpoint: %w", code, err)
		}
		if err := c.nodes[code].msgs.WitnessHeads(ctx); err != nil {
			return fmt.Errorf("%s: witness: %w", code, err)
		}
	}
	return c.notify(ctx)
}

// notify lets every node send the notifications that are due.
func (c *cluster) notify(ctx context.Context) error {
	for _, code := range c.up() {
		for {
			n, err := c.nodes[code].notifier.Tick(ctx)
			if err != nil {
				return fmt.Errorf("%s: notify: %w", code, err)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// say prints a line of the replay's narrative, dated by the simulated clock.
func (c *cluster) say(format string, args ...any) {
	if c.out == nil {
		return
	}
	fmt.Fprintf(c.out, "%s  %s\n", c.clock.Now().Format("2006-01-02 15:04"), fmt.Sprintf(format, args...))
	c.flushMail()
}

// logins describes how to sign in to each node.
func (c *cluster) logins(w io.Writer) {
	width := 0
	for _, code := range c.order {
		width = max(width, len(code))
	}
	for _, code := range c.order {
		rt := c.nodes[code]
		fmt.Fprintf(w, "  %-*s  %s   key %s\n", width, code, rt.url, keyfile.EncodePublicKey(rt.node.Signer.PublicKey()))
	}
	fmt.Fprintf(w, "  users on every node: liaison, analyst, supervisor, oversight, admin; password %q\n", demoPassword)
}

// Close stops every node.
func (c *cluster) Close() {
	for _, code := range c.up() {
		c.nodes[code].Close()
	}
}
