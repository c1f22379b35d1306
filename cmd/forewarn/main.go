// Command forewarn is the one Forewarn binary: it creates and serves a node, and every
// administrative, scripting and benchmarking job is one of its subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/forewarn/forewarn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(m.Stderr, "forewarn:", err)
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// Main is the program with its standard streams and environment made injectable, so an
// end-to-end test can run any subcommand in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Clock is the time the commands run at; nil is the wall clock. Tests set it to run a
	// command on the simulated clock of the nodes it talks to.
	Clock forewarn.Clock
}

// NewMain returns a Main wired to the process's streams and environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// exitError carries a specific exit status out of a subcommand.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

type command struct {
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

// commands is the whole command surface of the binary, in one readable block.
func commands() map[string]command {
	return map[string]command{
		"demo":        {"replay the case behind Forewarn on two real nodes and keep them serving", runDemo},
		"init":        {"create a node: data directory, database, key pair, first admin", runInit},
		"serve":       {"run a node's HTTP server", runServe},
		"subject":     {"add, list or show the agency's subjects (add|list|show)", runSubject},
		"claim":       {"add or list claims about a subject (add|list)", runClaim},
		"audit":       {"verify or list the audit trail (verify|list)", runAudit},
		"key":         {"show this node's public key (show)", runKey},
		"peer":        {"add, list or remove partner agencies (add|list|remove)", runPeer},
		"user":        {"create users (add)", runUser},
		"token":       {"create API tokens for programs and the CLI (create)", runToken},
		"message":     {"send, list, show or acknowledge messages through a running node (send|list|show|ack)", runMessage},
		"timeline":    {"print a subject's timeline from a running node", runTimeline},
		"import":      {"bring a dataset's persons in and keep them current (CSV, FtM, OFAC, STIX)", runImport},
		"export":      {"write the node's subjects as FtM, CSV or STIX", runExport},
		"screen":      {"screen a list of persons against a watch list (CSV)", runScreen},
		"compare":     {"score pairs of names (CSV)", runCompare},
		"bench-match": {"measure the matcher's accuracy and speed on the shared test data", runBenchMatch},
	}
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		m.usage(cmds)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		m.usage(cmds)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, m, args[1:])
}

func (m *Main) usage(cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(m.Stderr, "Forewarn: agencies warn each other about persons of interest, and can prove who was told what, and when.")
	fmt.Fprintln(m.Stderr, "\nUsage: forewarn COMMAND [flags]\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(m.Stderr, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(m.Stderr, "\nRun 'forewarn COMMAND --help' for a command's flags and an example.")
}

// newFlagSet returns a flag set whose --help prints what the command does and an example.
func (m *Main) newFlagSet(name, does, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: forewarn %s [flags]\n\n%s\n\nExample:\n  %s\n\nFlags (each also read from FOREWARN_<FLAG> when not given):\n", name, does, example)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, then fills every flag not given on the command line from its
// FOREWARN_* environment variable (--data from FOREWARN_DATA, --birth-date from
// FOREWARN_BIRTH_DATE), so flags win and the environment is the fallback.
func (m *Main) parseFlags(fs *flag.FlagSet, args []string) error {
	// Flags may come after positional arguments ("message ack ID --reason …"): the flag
	// package stops at the first positional one, so parse again after each.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			positional = append(positional, rest[1:]...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		key := "FOREWARN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := m.Getenv(key); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", key, v, e)
			}
		}
	})
	return err
}

// subcommand is one member of a command group ("subject add").
type subcommand struct {
	name string
	run  func(ctx context.Context, m *Main, args []string) error
}

// group runs the member of a command group that args[0] names.
func (m *Main) group(ctx context.Context, name string, args []string, subs []subcommand) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		return fmt.Errorf("%s needs a subcommand: %s (try 'forewarn %s %s --help')", name, strings.Join(names, ", "), name, names[0])
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, m, args[1:])
		}
	}
	return fmt.Errorf("unknown %s subcommand %q: use %s", name, args[0], strings.Join(names, ", "))
}

// stringList is a repeatable string flag (--alias A --alias B).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
