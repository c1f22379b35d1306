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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

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

	mu   sync.Mutex
	sets map[*flag.FlagSet]*flagSetInfo // what each command's flag set knows beyond its flags
	last *flag.FlagSet                  // the flag set parsed last, to name flags in errors
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
		"backup":      {"copy a serving node's SQLite database to a file, and verify the copy", runBackup},
		"restore":     {"put a node back from a backup file, after checking its key and audit trail", runRestore},
		"key":         {"show this node's public key (show)", runKey},
		"peer":        {"add, list or remove partner agencies, and limit what they ask privately (add|list|remove|private-limit|private-use)", runPeer},
		"report":      {"reports for oversight (oversight)", runReport},
		"agreement":   {"set, list or remove what this node agrees to send each peer (set|list|remove)", runAgreement},
		"purpose":     {"the purposes of access people give when they open personal data (list|set|remove|default|search)", runPurpose},
		"retention":   {"review dates, keeping and erasing subjects and received messages (policy|list|keep|erase)", runRetention},
		"feed":        {"subscribe to partners' TAXII 2.1 collections (add|list|remove)", runFeed},
		"taxii":       {"the node's TAXII 2.1 collections, their tokens and what is published (collection|collections|token|publish)", runTAXII},
		"user":        {"create users and set their page language (add|set)", runUser},
		"token":       {"create API tokens for programs and the CLI (create)", runToken},
		"message":     {"send, list, show, acknowledge or forward messages through a running node (send|list|show|ack|forward|consent|override)", runMessage},
		"timeline":    {"print a subject's timeline from a running node", runTimeline},
		"ask-private": {"ask a peer whether it holds persons without naming them, through a running node", runAskPrivate},
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
	if len(args) == 0 {
		m.usage(m.Stderr, cmds)
		return errors.New("no command given")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return m.Run(ctx, []string{args[1], "--help"})
		}
		m.usage(m.Stdout, cmds)
		return flag.ErrHelp
	case "-version", "--version", "version":
		return runVersion(ctx, m, args[1:])
	}
	c, ok := cmds[args[0]]
	if !ok {
		names := make([]string, 0, len(cmds))
		for n := range cmds {
			names = append(names, n)
		}
		return fmt.Errorf("unknown command %q%s: 'forewarn --help' lists them", args[0], didYouMean(args[0], names, ""))
	}
	return m.envError(m.flagError(c.run(ctx, m, args[1:])))
}

// envError says where a refused value came from when the flag it names was not on the
// command line but in its FOREWARN_* variable, which the user may have forgotten exporting.
func (m *Main) envError(err error) error {
	if err == nil {
		return nil
	}
	in := m.lastInfo()
	if in == nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	msg := err.Error()
	names := make([]string, 0, len(in.fromEnv))
	for name := range in.fromEnv {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if regexp.MustCompile(`--` + regexp.QuoteMeta(name) + `\b`).MatchString(msg) {
			return fmt.Errorf("%w (--%s was not given: it came from %s)", err, name, in.fromEnv[name])
		}
	}
	return err
}

func (m *Main) usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Forewarn: agencies warn each other about persons of interest, and can prove who was told what, and when.")
	fmt.Fprintln(w, "\nUsage: forewarn COMMAND [flags]\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "version", "print the version of this binary")
	fmt.Fprintln(w, "\nRun 'forewarn COMMAND --help' for a command's flags and an example.")
}

// nodeWide names the flags that set up a node or the operator's session rather than say
// what one command does; only these also come from FOREWARN_<FLAG>, so that a variable
// exported for one command (FOREWARN_NAME for init) never fills in another's (subject add).
// A flag that is a setting of a running node belongs here.
var nodeWide = map[string]bool{
	"data": true, "db": true, "listen": true, "node": true, "token": true, "log-level": true,
	"tls-cert": true, "tls-key": true, "tls-ca": true, "tick": true, "checkpoint-every": true,
	"retry-base": true, "retry-max": true, "delivery-timeout": true, "replay-window": true, "allow-insecure-http": true, "as": true,
	// serve's notification settings
	"smtp-host": true, "smtp-port": true, "smtp-tls": true, "smtp-user": true, "smtp-password-file": true,
	"smtp-from": true, "mail-dir": true, "base-url": true, "notify-detail": true, "digest-hour": true,
	"metrics-token": true,
}

// envKey is the environment variable a node-wide flag falls back to.
func envKey(flagName string) string {
	return "FOREWARN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// flagSetInfo is what a command's flag set knows beyond its flags: what it does, an
// example, the positional arguments it takes and which flags must be given.
type flagSetInfo struct {
	name, does, example string
	args                []string
	required            map[string]bool
	fromEnv             map[string]string // flag name → the FOREWARN_* variable that set it
}

func (m *Main) info(fs *flag.FlagSet) *flagSetInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sets == nil {
		m.sets = map[*flag.FlagSet]*flagSetInfo{}
	}
	in := m.sets[fs]
	if in == nil {
		in = &flagSetInfo{name: fs.Name(), required: map[string]bool{}}
		m.sets[fs] = in
	}
	return in
}

// newFlagSet returns a flag set whose --help prints what the command does and an example.
func (m *Main) newFlagSet(name, does, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := m.info(fs)
	in.does, in.example = does, example
	fs.Usage = func() { m.printHelp(m.Stderr, fs) }
	return fs
}

// require marks flags the command cannot do without: help shows them "(required)" and
// parseFlags refuses to go on without them. A flag whose usage says "(required)" or
// "(required; …)" is marked by that alone.
func (m *Main) require(fs *flag.FlagSet, names ...string) {
	in := m.info(fs)
	for _, n := range names {
		in.required[n] = true
	}
}

// positional names the arguments a command takes after its flags ("ID"), for the usage
// line; parseFlags then insists on exactly that many. A name in brackets or ending in
// "..." is optional or repeatable, and then the count is not checked.
func (m *Main) positional(fs *flag.FlagSet, names ...string) {
	m.info(fs).args = names
}

var requiredRE = regexp.MustCompile(`\s*\(required\)|required;\s*`)

func (in *flagSetInfo) isRequired(f *flag.Flag) bool {
	return in.required[f.Name] || strings.Contains(f.Usage, "(required)") || strings.Contains(f.Usage, "(required;")
}

// usageLine is "forewarn NAME [flags] ARGS".
func (in *flagSetInfo) usageLine() string {
	line := "forewarn " + in.name + " [flags]"
	if len(in.args) > 0 {
		line += " " + strings.Join(in.args, " ")
	}
	return line
}

// printHelp writes a command's help: usage line, what it does, an example, then its own
// flags and, apart, the node-wide ones that also come from the environment.
func (m *Main) printHelp(w io.Writer, fs *flag.FlagSet) {
	in := m.info(fs)
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", in.usageLine(), in.does)
	if in.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", in.example)
	}
	var own, wide []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if nodeWide[f.Name] {
			wide = append(wide, f)
		} else {
			own = append(own, f)
		}
	})
	// Required flags first, then the rest, each group in alphabetical order.
	sort.SliceStable(own, func(i, j int) bool { return in.isRequired(own[i]) && !in.isRequired(own[j]) })
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		m.printFlags(w, in, own, false)
	}
	if len(wide) > 0 {
		fmt.Fprintln(w, "\nNode-wide flags (each also read from the environment variable shown, when not given):")
		m.printFlags(w, in, wide, true)
	}
}

func (m *Main) printFlags(w io.Writer, in *flagSetInfo, flags []*flag.Flag, env bool) {
	for _, f := range flags {
		left := "  --" + f.Name
		if ph := placeholder(f); ph != "" {
			left += " " + ph
		}
		usage := strings.ReplaceAll(requiredRE.ReplaceAllString(f.Usage, ""), "`", "")
		usage = strings.ReplaceAll(usage, "()", "")
		usage = strings.ReplaceAll(usage, "\n", "\n      ")
		if in.isRequired(f) {
			usage += " (required)"
		} else if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		if env {
			usage += " [" + envKey(f.Name) + "]"
		}
		if len(left) < 26 {
			fmt.Fprintf(w, "%-26s%s\n", left, usage)
		} else {
			fmt.Fprintf(w, "%s\n      %s\n", left, usage)
		}
	}
}

// placeholder is the word shown after a flag in help: DIR, DSN, N, DURATION, or the flag's
// last word in capitals; nothing for a switch.
func placeholder(f *flag.Flag) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	if strings.Contains(f.Usage, "`") {
		name, _ := flag.UnquoteUsage(f) // "the backup `FILE` to write": FILE
		return name
	}
	switch f.Name {
	case "data":
		return "DIR"
	case "checkpoint-every":
		return "N"
	case "db":
		return "DSN"
	case "listen":
		return "HOST:PORT"
	case "node", "url":
		return "URL"
	}
	switch f.Value.(type) {
	case *durationValue:
		return "DURATION"
	}
	switch fmt.Sprintf("%T", f.Value) {
	case "*flag.intValue", "*flag.int64Value", "*flag.uintValue":
		return "N"
	case "*flag.float64Value":
		return "NUMBER"
	case "*flag.durationValue":
		return "DURATION"
	}
	parts := strings.Split(f.Name, "-")
	return strings.ToUpper(parts[len(parts)-1])
}

// parseFlags parses args, then fills every node-wide flag not given on the command line
// from its FOREWARN_* environment variable (--data from FOREWARN_DATA), so flags win and
// the environment is the fallback. --help prints the command's help to standard output and
// returns flag.ErrHelp. Then it checks required flags and positional arguments, so that a
// command starts only with what it needs, and says which flag is missing.
func (m *Main) parseFlags(fs *flag.FlagSet, args []string) error {
	in := m.info(fs)
	m.mu.Lock()
	m.last = fs
	m.mu.Unlock()
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	parse := func(args []string) error {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			m.printHelp(m.Stdout, fs)
			return flag.ErrHelp
		}
		if err != nil {
			return explainFlagError(fs, err)
		}
		return nil
	}
	// Flags may come after positional arguments ("message ack ID --reason …"): the flag
	// package stops at the first positional one, so parse again after each.
	var positional []string
	var before string // the flag, with its value, given just before the first positional argument
	for {
		if err := parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(positional) == 0 {
			before = flagBefore(fs, args[:len(args)-len(rest)])
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
		if given[f.Name] || err != nil || !nodeWide[f.Name] {
			return
		}
		key := envKey(f.Name)
		if v := m.getenv(key); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q (the fallback for --%s): %v", key, v, f.Name, e)
				return
			}
			given[f.Name] = true
			m.mu.Lock()
			if in.fromEnv == nil {
				in.fromEnv = map[string]string{}
			}
			in.fromEnv[f.Name] = key
			m.mu.Unlock()
		}
	})
	if err != nil {
		return err
	}
	if len(in.args) == 0 && fs.NArg() > 0 {
		// A command that takes no arguments would otherwise drop them unseen: an unquoted
		// --name Ismaël Omar Mostefaï adds a subject named "Ismaël".
		hint := ""
		if before != "" {
			hint = fmt.Sprintf(" (a value with spaces needs quotes: %s '%s')", before[:strings.Index(before, " ")], before[strings.Index(before, " ")+1:]+" "+strings.Join(fs.Args(), " "))
		}
		return fmt.Errorf("%s takes no arguments, but was given %q%s; usage: %s", in.name, fs.Args(), hint, in.usageLine())
	}
	var missing []string
	fs.VisitAll(func(f *flag.Flag) {
		if in.isRequired(f) && (!given[f.Name] || strings.TrimSpace(f.Value.String()) == "") {
			missing = append(missing, "--"+f.Name)
		}
	})
	if len(missing) > 0 {
		what := "is required"
		if len(missing) > 1 {
			what = "are required"
		}
		return fmt.Errorf("%s: %s %s (usage: %s; 'forewarn %s --help' explains each flag)", in.name, strings.Join(missing, ", "), what, in.usageLine(), in.name)
	}
	if n := len(in.args); n > 0 {
		fixed := true
		for _, a := range in.args {
			if strings.HasPrefix(a, "[") || strings.HasSuffix(a, "...") || strings.HasSuffix(a, "…") {
				fixed = false
			}
		}
		if fixed && fs.NArg() != n {
			if fs.NArg() < n {
				return fmt.Errorf("%s needs %s (usage: %s)", in.name, strings.Join(in.args[fs.NArg():], " "), in.usageLine())
			}
			return fmt.Errorf("%s takes %d argument(s), %s, but was given %d: %q (usage: %s)", in.name, n, strings.Join(in.args, " "), fs.NArg(), fs.Args(), in.usageLine())
		}
	}
	return nil
}

// flagBefore is "--flag value" when the last flag in consumed took a value, "" otherwise.
func flagBefore(fs *flag.FlagSet, consumed []string) string {
	n := len(consumed)
	if n == 0 {
		return ""
	}
	if name, val, ok := strings.Cut(strings.TrimLeft(consumed[n-1], "-"), "="); ok && strings.HasPrefix(consumed[n-1], "-") && fs.Lookup(name) != nil {
		return "--" + name + " " + val
	}
	if n < 2 || !strings.HasPrefix(consumed[n-2], "-") || strings.Contains(consumed[n-2], "=") {
		return ""
	}
	f := fs.Lookup(strings.TrimLeft(consumed[n-2], "-"))
	if f == nil {
		return ""
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	return "--" + f.Name + " " + consumed[n-1]
}

func (m *Main) getenv(key string) string {
	if m.Getenv == nil {
		return ""
	}
	return m.Getenv(key)
}

var (
	undefinedRE = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	noArgRE     = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	badValueRE  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for flag -+([^:]+): (.*)$`)
)

// explainFlagError rewrites the flag package's errors so they name the flag as --flag, say
// what a valid value looks like, and suggest the nearest flag for a typo.
func explainFlagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if sm := undefinedRE.FindStringSubmatch(msg); sm != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		return fmt.Errorf("%s: unknown flag --%s%s: 'forewarn %s --help' lists the flags", fs.Name(), sm[1], didYouMean(sm[1], names, "--"), fs.Name())
	}
	if sm := noArgRE.FindStringSubmatch(msg); sm != nil {
		f := fs.Lookup(sm[1])
		hint := ""
		if f != nil {
			hint = " (" + strings.TrimSpace(strings.ReplaceAll(requiredRE.ReplaceAllString(f.Usage, ""), "`", "")) + ")"
		}
		return fmt.Errorf("%s: --%s needs a value%s", fs.Name(), sm[1], hint)
	}
	if sm := badValueRE.FindStringSubmatch(msg); sm != nil {
		f := fs.Lookup(sm[2])
		want := sm[3]
		if f != nil && strings.Contains(want, "parse") {
			// The flag package's own parse error; a value's own check says more as it is.
			switch ph := placeholder(f); {
			case ph == "DURATION":
				want = "want a duration such as 30s, 5m, 24h or 7d"
			case ph == "N":
				want = "want a whole number"
			case ph == "NUMBER":
				want = "want a number such as 0.8"
			case ph == "":
				want = "want true or false"
			}
		}
		return fmt.Errorf("%s: --%s %q: %s", fs.Name(), sm[2], sm[1], want)
	}
	return fmt.Errorf("%s: %v", fs.Name(), err)
}

// didYouMean returns "; did you mean PREFIX+NAME?" for the candidate nearest to s, or ""
// when none is near enough to be a typo.
func didYouMean(s string, candidates []string, prefix string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(s, c)
		if strings.HasPrefix(c, s) && len(s) >= 3 {
			d = 1
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s%s?)", prefix, best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// flagError rewrites a validation error from the core, which names a field of the domain
// ("names[0].value", "valid_to"), so that it names the flag of the command that ran instead.
func (m *Main) flagError(err error) error {
	var fe *forewarn.Error
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	m.mu.Lock()
	fs := m.last
	m.mu.Unlock()
	if fs == nil {
		return err
	}
	if fe.Field == "" {
		// A store's error may name the field in its text alone ("subject_id: no subject
		// with id …"): name the flag that set it instead.
		loc := fieldPrefixRE.FindStringIndex(fe.Message)
		if loc == nil || error(fe) != err {
			return err
		}
		flagName := fieldFlag(fs, strings.TrimSuffix(fe.Message[:loc[1]], ": "))
		if flagName == "" {
			return err
		}
		return &forewarn.Error{Code: fe.Code, Field: "--" + flagName, Rule: fe.Rule, Message: fe.Message[loc[1]:]}
	}
	msg := trimFieldPrefix(fe.Message)
	flagName := fieldFlag(fs, fe.Field)
	if flagName == "" {
		if error(fe) != err {
			return err // wrapped with context of its own, which says where
		}
		if strings.HasSuffix(fe.Field, "id") && len(m.info(fs).args) > 0 {
			// The ID the command was given as its argument: the message names it.
			return &forewarn.Error{Code: fe.Code, Rule: fe.Rule, Message: msg, Values: fe.Values}
		}
		return &forewarn.Error{Code: fe.Code, Field: fe.Field, Rule: fe.Rule, Message: msg, Values: fe.Values}
	}
	return &forewarn.Error{Code: fe.Code, Field: "--" + flagName, Rule: fe.Rule, Message: msg, Values: fe.Values}
}

// fieldPrefixRE is a field name at the start of a message ("ack.reason: ", "options[5]: ").
var fieldPrefixRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z][a-z0-9_]*(?:\[\d+\])?)*: `)

// trimFieldPrefix takes the field names off the start of a core or API message, so that a
// command names the flag instead, once.
func trimFieldPrefix(msg string) string {
	for {
		loc := fieldPrefixRE.FindStringIndex(msg)
		if loc == nil {
			return msg
		}
		msg = msg[loc[1]:]
	}
}

// fieldAliases maps the core's field names to the flags that set them where the names differ.
var fieldAliases = map[string]string{
	"names[0].value": "name", "names[0]": "name", "names": "name", "valid_from": "from", "valid_to": "to",
	"source.agency": "source-agency", "source": "source", "subject_id": "subject", "persons": "person",
	"public_key": "key", "base_url": "url", "agency.code": "agency", "agency.name": "name", "agency.country": "country",
	"nationalities": "nationality", "documents": "document", "notification.summary": "summary",
	"notification.priority": "priority", "marks.tlp": "tlp", "marks.releasable_to": "release",
	"request.subject": "subject", "request.questions": "questions", "response.answer": "answer",
	"in_reply_to": "in-reply-to", "username": "username", "roles": "role", "role": "role",
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// fieldFlag returns the flag of fs that sets field, or "".
func fieldFlag(fs *flag.FlagSet, field string) string {
	if strings.HasPrefix(field, "--") {
		return ""
	}
	cands := []string{field}
	if strings.HasPrefix(field, "names[") && field != "names[0].value" && field != "names[0]" {
		cands = append(cands, "alias")
	}
	stripped := indexRE.ReplaceAllString(field, "")
	for _, f := range []string{field, stripped, strings.SplitN(stripped, ".", 2)[0]} {
		if a, ok := fieldAliases[f]; ok {
			cands = append(cands, a)
		}
		cands = append(cands, strings.ReplaceAll(f, "_", "-"))
	}
	if strings.HasPrefix(field, "person") {
		cands = append(cands, "person")
	}
	for _, c := range cands {
		if fs.Lookup(c) != nil {
			return c
		}
	}
	return ""
}

// subcommand is one member of a command group ("subject add").
type subcommand struct {
	name string
	run  func(ctx context.Context, m *Main, args []string) error
}

// group runs the member of a command group that args[0] names; "--help" lists the members
// with what each does.
func (m *Main) group(ctx context.Context, name string, args []string, subs []subcommand) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		return fmt.Errorf("%s needs a subcommand: %s (try 'forewarn %s --help')", name, strings.Join(names, ", "), name)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return m.group(ctx, name, []string{args[1], "--help"}, subs)
		}
		m.groupHelp(ctx, m.Stdout, name, subs)
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, m, args[1:])
		}
	}
	return fmt.Errorf("unknown %s subcommand %q%s: use %s ('forewarn %s --help' says what each does)", name, args[0], didYouMean(args[0], names, ""), strings.Join(names, ", "), name)
}

// groupHelp lists a group's subcommands, each with its usage line and the first line of
// what it does, taken from the subcommand's own help so the two never disagree.
func (m *Main) groupHelp(ctx context.Context, w io.Writer, name string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: forewarn %s SUBCOMMAND [flags]\n\nSubcommands:\n", name)
	for _, s := range subs {
		var help strings.Builder
		probe := &Main{Stdin: strings.NewReader(""), Stdout: &help, Stderr: io.Discard, Getenv: func(string) string { return "" }}
		s.run(ctx, probe, []string{"--help"})
		line, does := "forewarn "+name+" "+s.name+" [flags]", ""
		if in := probe.lastInfo(); in != nil {
			line = in.usageLine()
			does = firstSentence(in.does)
		} else {
			// A group in the group ("retention policy"): name its members.
			line = "forewarn " + name + " " + s.name + " SUBCOMMAND [flags]"
			var members []string
			for _, l := range strings.Split(help.String(), "\n") {
				if rest, ok := strings.CutPrefix(l, "  "+line[:len(line)-len("SUBCOMMAND [flags]")]); ok {
					members = append(members, strings.Fields(rest)[0])
				}
			}
			does = fmt.Sprintf("%s (see 'forewarn %s %s --help')", strings.Join(members, ", "), name, s.name)
		}
		fmt.Fprintf(w, "  %s\n      %s\n", line, does)
	}
	fmt.Fprintf(w, "\nRun 'forewarn %s SUBCOMMAND --help' for its flags and an example.\n", name)
}

// firstSentence is what a command does in one sentence, for its group's help: the first
// sentence of its description, however the description wraps its lines, wrapped again under
// the usage line.
func firstSentence(does string) string {
	text := strings.Join(strings.Fields(does), " ")
	if i := strings.Index(text, ". "); i >= 0 {
		text = text[:i+1]
	}
	var out strings.Builder
	col := 0
	for _, w := range strings.Fields(text) {
		if col > 0 && col+1+len(w) > 90 {
			out.WriteString("\n      ")
			col = 0
		} else if col > 0 {
			out.WriteByte(' ')
			col++
		}
		out.WriteString(w)
		col += len(w)
	}
	return out.String()
}

func (m *Main) lastInfo() *flagSetInfo {
	m.mu.Lock()
	fs := m.last
	m.mu.Unlock()
	if fs == nil {
		return nil
	}
	return m.info(fs)
}

// stringList is a repeatable string flag (--alias A --alias B).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// durationValue is a duration flag that also takes days ("7d", "1d12h"), the unit people
// use for deadlines, beside Go's h, m, s and ms.
type durationValue time.Duration

func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

func (d *durationValue) String() string {
	if d == nil {
		return "0s"
	}
	return time.Duration(*d).String()
}

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

var daysRE = regexp.MustCompile(`^(\d+)d(.*)$`)

// parseDuration reads a Go duration with an optional leading whole number of days.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if sm := daysRE.FindStringSubmatch(s); sm != nil {
		n, err := strconv.Atoi(sm[1])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("%q: too many days", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		if sm[2] == "" {
			return days, nil
		}
		s = sm[2]
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 30s, 5m, 24h or 7d")
	}
	return days + v, nil
}
