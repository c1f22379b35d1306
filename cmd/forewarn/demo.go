package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/forewarn/forewarn"
)

func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("demo",
		"Replays the case behind Forewarn on two real nodes, Turkey (TR-MIT) and France (FR-DGSI), on\nloopback with embedded SQLite in a temporary directory, on a simulated clock from 2010 to\nNovember 2015. It prints, step by step, what Forewarn did that the real exchange did not, then\nkeeps both nodes serving, with demo logins, until interrupted. With --exit it replays and exits:\n0 when every check held, 1 otherwise.",
		"forewarn demo")
	exit := fs.Bool("exit", false, "replay, check, and exit instead of serving")
	listenTR := fs.String("listen-tr", "127.0.0.1:8470", "address of Turkey's node")
	listenFR := fs.String("listen-fr", "127.0.0.1:8471", "address of France's node")
	keep := fs.Bool("keep", false, "keep the temporary data directory")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	for _, l := range []struct {
		flag string
		addr *string
	}{{"listen-tr", listenTR}, {"listen-fr", listenFR}} {
		addr, note, err := demoListen(*l.addr, l.flag, isSet(fs, l.flag), *exit)
		if err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(m.Stdout, note)
		}
		*l.addr = addr
	}
	dir, err := os.MkdirTemp("", "forewarn-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(m.Stdout, "Forewarn demo: the case of the two unanswered warnings (../shared/scenario/source-article.txt)\nNodes live in %s\n\n", dir)
	c, err := m.startCluster(ctx, dir, parisStart, []forewarn.Agency{agencyTR, agencyFR},
		map[string]string{agencyTR.Code: *listenTR, agencyFR.Code: *listenFR}, m.Stdout)
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := parisReplay(ctx, c)
	c.flushMail()
	if err != nil {
		return fmt.Errorf("the replay stopped: %w", err)
	}
	fmt.Fprintf(m.Stdout, "\nNo mail server is configured: each node keeps the e-mail it sent (✉ above) as .eml files in\n%s and %s",
		filepath.Join(dir, agencyTR.Code, "mail"), filepath.Join(dir, agencyFR.Code, "mail"))
	if *keep {
		fmt.Fprintln(m.Stdout, ".")
	} else {
		fmt.Fprintln(m.Stdout, ", removed with the nodes when the demo stops (--keep keeps them).")
	}
	if err := r.summary(m.Stdout); err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	if *exit {
		return nil
	}
	fmt.Fprintln(m.Stdout, "\nBoth nodes keep serving; look around. Press Ctrl-C to stop.")
	c.logins(m.Stdout)
	fmt.Fprintf(m.Stdout, "\nStart at %s/login, France's node, as liaison: the two unanswered warnings wait in the inbox,\nmarked \"you hold this person\". Acknowledge one, then see it acknowledged in Turkey's outbox at %s/outbox.\n",
		c.node(agencyFR.Code).url, c.node(agencyTR.Code).url)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(m.Stdout, "stopping")
			return nil
		case <-t.C:
			// The clock stays at the end of the story; deliveries of what a person does
			// in the pages still flow.
			if err := c.at(ctx, c.clock.Now()); err != nil {
				fmt.Fprintln(m.Stderr, "forewarn demo:", err)
			}
		}
	}
}

// demoListen picks where a demo node listens: a port given on the command line is used or
// refused with a clear error; a default port that is taken (another demo, another
// program) gives way to a free one, with a note saying so; --exit needs no fixed port.
func demoListen(addr, flag string, given, exit bool) (string, string, error) {
	if given {
		return addr, "", checkListen(flag, addr)
	}
	if exit {
		return "127.0.0.1:0", "", nil
	}
	if err := checkListen(flag, addr); err != nil {
		return "127.0.0.1:0", fmt.Sprintf("Port %s is taken, so this node gets a free port (see its address below; choose one with --%s).", addr, flag), nil
	}
	return addr, "", nil
}

// isSet reports whether a flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
