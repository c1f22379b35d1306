package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/httpapi"
)

// apiFlags are the flags of commands that talk to a running node over its HTTP API.
type apiFlags struct {
	node  string
	token string
	wait  time.Duration
}

func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	f := &apiFlags{}
	fs.StringVar(&f.node, "node", "http://127.0.0.1:8080", "the node's base URL (http://HOST:PORT; a bare HOST:PORT means http)")
	fs.StringVar(&f.token, "token", "", "API token ('forewarn token create'); better given as FOREWARN_TOKEN")
	durationVar(fs, &f.wait, "wait", 10*time.Second, "how long to keep trying while the node is starting and refuses connections")
	return f
}

// baseURL is --node as a URL: "127.0.0.1:8471" means http://127.0.0.1:8471.
func (f *apiFlags) baseURL() (string, error) {
	node := strings.TrimRight(strings.TrimSpace(f.node), "/")
	// The API's root pasted for the node's address ("http://127.0.0.1:8080/api/v1"): the
	// commands add the API's paths themselves.
	node = strings.TrimRight(strings.TrimSuffix(node, "/api/v1"), "/")
	if !strings.Contains(node, "://") {
		node = "http://" + node
	}
	u, err := url.Parse(node)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", forewarn.Invalid("--node", "url", "%q: want the node's address, like http://127.0.0.1:8080 or https://forewarn.example:8443", f.node)
	}
	return node, nil
}

// call sends a JSON request to the node's API and decodes the answer into out. An API
// error comes back as a *forewarn.Error with the server's code and message.
func (f *apiFlags) call(ctx context.Context, method, path string, body, out any) error {
	if f.token == "" {
		return fmt.Errorf("no API token: pass --token or set FOREWARN_TOKEN (create one with 'forewarn token create')")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	base, err := f.baseURL()
	if err != nil {
		return err
	}
	// A node that is still starting refuses connections, or resets one it accepted while
	// it checked its port: try again, briefly, so that a script may start a node and use it
	// at once. Only a refused connection is retried for a change, so a request that changes
	// something is never sent twice; a read is also retried after a reset.
	deadline := time.Now().Add(f.wait)
	pause := 50 * time.Millisecond
	var resp *http.Response
	for {
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		retry := errors.Is(err, syscall.ECONNREFUSED) || method == http.MethodGet && errors.Is(err, syscall.ECONNRESET)
		if !retry || time.Now().Add(pause).After(deadline) {
			waited := ""
			if retry && f.wait > 0 {
				waited = " in " + f.wait.String() + " of trying (--wait)"
			}
			return fmt.Errorf("cannot reach the node at %s (--node)%s: %w", base, waited, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error forewarn.Error `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			// The API's message starts with the field it names, which Error adds again.
			e.Error.Message = trimFieldPrefix(e.Error.Message)
			if e.Error.Code == forewarn.EUNAUTHORIZED {
				e.Error.Message += " (the token is --token or FOREWARN_TOKEN; create one on the node's Tokens page, or with 'forewarn token create --username NAME --role ROLE' on its machine)"
			}
			return &e.Error
		}
		hint := ""
		if resp.StatusCode == http.StatusNotFound {
			hint = " (is --node the node's address, like http://127.0.0.1:8080?)"
		}
		return fmt.Errorf("%s %s: HTTP %d%s", method, base+path, resp.StatusCode, hint)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func runMessage(ctx context.Context, m *Main, args []string) error {
	return m.group(ctx, "message", args, []subcommand{{"send", runMessageSend}, {"list", runMessageList}, {"show", runMessageShow}, {"ack", runMessageAck},
		{"forward", runMessageForward}, {"consent", runMessageConsent}, {"override", runMessageOverride}})
}

func runMessageSend(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message send",
		"Sends a request, notification (warning) or response to peer agencies through a running node.\nEach --person is 'NAME; alias=NAME; born=YYYY[-MM[-DD]]; nationality=CC; document=KIND:NUMBER[:CC]; ref=p1; link=associate_of:p2'.\nOr give the whole message as JSON with --file.",
		"forewarn message send --node http://127.0.0.1:8081 --kind notification --to FR-DGSI --priority urgent --summary 'Fifth man identified' --person 'Omar Ismail Mostefai; born=1985; nationality=FR'")
	af := addAPIFlags(fs)
	kind := fs.String("kind", "notification", "request, notification or response")
	var to, persons, release stringList
	fs.Var(&to, "to", "recipient agency code (repeatable)")
	fs.Var(&persons, "person", "a person the message is about (repeatable; see above)")
	priority := fs.String("priority", "routine", "flash, urgent, priority or routine")
	summary := fs.String("summary", "", "a notification's summary")
	subject := fs.String("subject", "", "a request's title")
	questions := fs.String("questions", "", "a request's questions")
	answer := fs.String("answer", "", "a response's answer")
	inReplyTo := fs.String("in-reply-to", "", "the message this one answers")
	var within time.Duration
	durationVar(fs, &within, "within", 0, "deadline as a duration from now, like 12h or 7d (default: the escalation policy's for the priority)")
	tlp := fs.String("tlp", "AMBER", "TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
	fs.Var(&release, "release", "agency it may be released to (repeatable; default: the recipients)")
	consent := fs.Bool("consent-required", false, "the originator's consent is required for onward sharing")
	file := fs.String("file", "", "read the whole message as JSON from this file ('-' for standard input)")
	asJSON := fs.Bool("json", false, "print the stored message as JSON")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	var msg forewarn.Message
	if *file != "" {
		var data []byte
		var err error
		if *file == "-" {
			data, err = io.ReadAll(m.Stdin)
		} else {
			data, err = os.ReadFile(*file)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			return fmt.Errorf("%s: %v", *file, err)
		}
	} else {
		var ps []forewarn.PersonDescriptor
		for i, spec := range persons {
			p, err := parsePerson(spec, i)
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		var deadline time.Time
		if within < 0 {
			return forewarn.Invalid("--within", "min", "%s: a deadline lies in the future, like 12h or 7d", within)
		}
		if within > 0 {
			deadline = time.Now().UTC().Add(within)
		}
		msg = forewarn.Message{Kind: forewarn.MessageKind(*kind), To: to, InReplyTo: *inReplyTo,
			Marks: forewarn.HandlingMarks{TLP: forewarn.TLP(*tlp), ReleasableTo: release, OriginatorConsentRequired: *consent}}
		if len(msg.Marks.ReleasableTo) == 0 {
			msg.Marks.ReleasableTo = to
		}
		switch msg.Kind {
		case forewarn.KindNotification:
			msg.Notification = &forewarn.Notification{Summary: *summary, Priority: forewarn.Priority(*priority), Persons: ps, AcknowledgeBy: deadline}
		case forewarn.KindRequest:
			msg.Request = &forewarn.Request{Subject: *subject, Questions: *questions, Persons: ps, Deadline: deadline, Priority: forewarn.Priority(*priority)}
		case forewarn.KindResponse:
			msg.Response = &forewarn.Response{Answer: *answer, Persons: ps}
		default:
			return forewarn.Invalid("kind", "enum", "%q is not a kind of message%s: use request, notification or response (acknowledge with 'forewarn message ack')", *kind, didYouMean(*kind, []string{"request", "notification", "response"}, ""))
		}
	}
	var v httpapi.MessageView
	if err := af.call(ctx, http.MethodPost, "/api/v1/messages", &msg, &v); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, v)
	}
	fmt.Fprintf(m.Stdout, "Queued %s %s to %s\n", v.Message.Kind, v.Message.ID, strings.Join(v.Message.To, ", "))
	return nil
}

// personKeys are the keys of the --person mini-format.
var personKeys = []string{"alias", "born", "nationality", "gender", "birthplace", "document", "ref", "link"}

// commaKeyRE finds ", born=" and the like: a comma where the format wants a semicolon.
var commaKeyRE = regexp.MustCompile(`,\s*(` + strings.Join(personKeys, "|") + `)\s*=`)

// parsePerson reads the --person mini-format: a name, then semicolon-separated key=value.
func parsePerson(spec string, i int) (forewarn.PersonDescriptor, error) {
	field := "--person"
	if i > 0 {
		field = fmt.Sprintf("--person (the %s)", ordinal(i+1))
	}
	if sm := commaKeyRE.FindStringSubmatch(spec); sm != nil {
		fixed := commaKeyRE.ReplaceAllString(spec, "; $1=")
		return forewarn.PersonDescriptor{}, forewarn.Invalid(field, "format", "%q separates %s= with a comma; the parts are separated by semicolons: %q", spec, sm[1], fixed)
	}
	parts := strings.Split(spec, ";")
	if strings.Contains(parts[0], "=") {
		return forewarn.PersonDescriptor{}, forewarn.Invalid(field, "format", "%q must start with the name, then key=value parts after semicolons: 'NAME; born=1985; nationality=FR'", spec)
	}
	p := forewarn.PersonDescriptor{Ref: fmt.Sprintf("p%d", i+1), Names: []forewarn.Name{{Value: strings.TrimSpace(parts[0]), Kind: forewarn.NamePrimary}}}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return p, forewarn.Invalid(field, "format", "%q is not key=value (after the name, each part is like born=1985 or nationality=FR)", strings.TrimSpace(kv))
		}
		v = strings.TrimSpace(v)
		switch k {
		case "alias":
			p.Names = append(p.Names, forewarn.Name{Value: v, Kind: forewarn.NameAlias})
		case "born":
			d, err := forewarn.ParsePartialDate(v)
			if err != nil {
				return p, forewarn.Invalid(field, "format", "born=%s: %v", v, err)
			}
			p.BirthDate = d
		case "nationality":
			p.Nationalities = append(p.Nationalities, strings.ToUpper(v))
		case "gender":
			p.Gender = forewarn.Gender(v)
		case "birthplace":
			p.Birthplace = v
		case "document":
			d := strings.Split(v, ":")
			if len(d) < 2 {
				return p, forewarn.Invalid(field, "format", "document=%s must be KIND:NUMBER[:CC], like document=passport:12AB34567:FR", v)
			}
			doc := forewarn.Document{Kind: d[0], Number: d[1]}
			if len(d) > 2 {
				doc.Country = strings.ToUpper(d[2])
			}
			p.Documents = append(p.Documents, doc)
		case "ref":
			p.Ref = v
		case "link":
			kind, to, _ := strings.Cut(v, ":")
			p.Links = append(p.Links, forewarn.PersonLink{Kind: forewarn.AssociationKind(kind), To: to})
		default:
			return p, forewarn.Invalid(field, "format", "unknown key %q%s (use %s)", k, didYouMean(k, personKeys, ""), strings.Join(personKeys, ", "))
		}
	}
	return p, nil
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

func runMessageList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message list", "Lists messages with their delivery, acknowledgement and overdue status. With --json,\nreceived messages come without the persons they name unless a purpose is given.",
		"forewarn message list --direction out --overdue")
	af := addAPIFlags(fs)
	pf := addPurposeFlagsWhen(fs, "(received messages come without their persons in --json unless one is given)")
	direction := fs.String("direction", "", "in or out (default both)")
	kind := fs.String("kind", "", "only this kind")
	peer := fs.String("peer", "", "only messages to or from this agency")
	overdue := fs.Bool("overdue", false, "only overdue messages")
	limit := fs.Int("limit", 50, "how many")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"direction": *direction, "kind": *kind, "peer": *peer} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *overdue {
		q.Set("overdue", "true")
	}
	q.Set("limit", fmt.Sprint(*limit))
	if pu := pf.purpose(); pu.Code != "" || pu.Text != "" {
		q.Set("purpose", pu.Code)
		q.Set("purpose_text", pu.Text)
	}
	var out struct {
		Items []*httpapi.MessageView `json:"items"`
		Total int                    `json:"total"`
	}
	if err := af.call(ctx, http.MethodGet, "/api/v1/messages?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDIR\tKIND\tFROM\tTO\tPRIORITY\tCREATED\tSTATUS")
	for _, v := range out.Items {
		var status []string
		for _, d := range v.Deliveries {
			status = append(status, d.Agency+": "+v.Status[d.Agency])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Message.ID, v.Direction, v.Message.Kind, v.Message.From,
			strings.Join(v.Message.To, ","), v.Priority, v.Message.Created.Format("2006-01-02 15:04"), strings.Join(status, "; "))
	}
	tw.Flush()
	fmt.Fprintf(m.Stdout, "%d of %d messages\n", len(out.Items), out.Total)
	return nil
}

func runMessageShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message show", "Shows a message and its whole thread, with statuses and escalations. A received message\nthat names persons is opened for a purpose, recorded in the audit entry of the read.",
		"forewarn message show --purpose liaison-request 0192f3c4-…")
	af := addAPIFlags(fs)
	pf := addPurposeFlagsWhen(fs, "(needed to open a received message that names persons)")
	asJSON := fs.Bool("json", false, "print JSON")
	m.positional(fs, "MESSAGE-ID")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	var v httpapi.MessageView
	if err := af.call(ctx, http.MethodGet, "/api/v1/messages/"+url.PathEscape(fs.Arg(0))+pf.query(), nil, &v); err != nil {
		return m.flagError(err) // a missing purpose names --purpose
	}
	var thread struct {
		Items []*httpapi.MessageView `json:"items"`
	}
	if err := af.call(ctx, http.MethodGet, "/api/v1/messages/"+url.PathEscape(fs.Arg(0))+"/thread"+pf.query(), nil, &thread); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m, map[string]any{"message": v, "thread": thread.Items})
	}
	printMessage(m, &v)
	printMatches(m, v.Matches)
	for _, e := range v.Escalations {
		fmt.Fprintf(m.Stdout, "  escalated %s step %d (%s side, %s): %s\n", e.FiredAt.Format("2006-01-02 15:04"), e.Step, e.Side, e.Notify, e.Text)
	}
	if len(thread.Items) > 1 {
		fmt.Fprintln(m.Stdout, "Thread:")
		for _, t := range thread.Items {
			fmt.Fprintf(m.Stdout, "  %s %s %s → %s %s\n", t.Message.Created.Format("2006-01-02 15:04"), t.Message.Kind, t.Message.From, strings.Join(t.Message.To, ","), t.Message.ID)
		}
	}
	return nil
}

// printMatches says whom the persons of a message matched, how sure, and where the review
// stands: "person p1 matches subject “Ismaël Omar Mostefaï” (0.93, waiting for review)".
func printMatches(m *Main, ms []*forewarn.Match) {
	for _, x := range ms {
		var ex struct {
			Candidate string `json:"candidate"`
		}
		json.Unmarshal(x.Explanation, &ex)
		target := "subject " + x.SubjectID
		if x.SubjectID == "" {
			target = "a person in message " + x.EarlierMessageID
		}
		if ex.Candidate != "" {
			target += " “" + ex.Candidate + "”"
		}
		state := "waiting for review"
		if x.Status != forewarn.MatchPending {
			state = string(x.Status) + " by " + x.DecidedBy
		}
		fmt.Fprintf(m.Stdout, "  person %s matches %s (%.2f, %s): %s\n", x.PersonRef, target, x.Score, state, x.Summary)
	}
}

func printMessage(m *Main, v *httpapi.MessageView) {
	msg := v.Message
	w := m.Stdout
	fmt.Fprintf(w, "%s %s (%s)\n  from %s to %s, created %s, priority %s, TLP:%s\n", msg.Kind, msg.ID, v.Direction, msg.From,
		strings.Join(msg.To, ", "), msg.Created.Format(time.RFC3339), v.Priority, msg.Marks.TLP)
	switch {
	case msg.Notification != nil:
		fmt.Fprintf(w, "  %s\n  acknowledge by %s\n", msg.Notification.Summary, msg.Notification.AcknowledgeBy.Format(time.RFC3339))
	case msg.Request != nil:
		fmt.Fprintf(w, "  %s: %s\n  answer by %s\n", msg.Request.Subject, msg.Request.Questions, msg.Request.Deadline.Format(time.RFC3339))
	case msg.Response != nil:
		fmt.Fprintf(w, "  %s\n", msg.Response.Answer)
	case msg.Ack != nil:
		fmt.Fprintf(w, "  %s %s %s\n", msg.Ack.Stage, msg.Ack.Outcome, msg.Ack.Reason)
	}
	for _, p := range msg.Persons() {
		var names []string
		for _, n := range p.Names {
			names = append(names, n.Value)
		}
		fmt.Fprintf(w, "  person %s: %s, born %s, %s\n", p.Ref, strings.Join(names, " / "), dash(p.BirthDate.String()), dash(strings.Join(p.Nationalities, ",")))
	}
	for _, d := range v.Deliveries {
		fmt.Fprintf(w, "  %s: %s\n", d.Agency, v.Status[d.Agency])
	}
}

func runMessageAck(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message ack", "Acknowledges a received message (read, or actioned with an outcome and reason); the\nacknowledgement travels back to the sender, and closes the message's alerts once actioned.",
		"forewarn message ack 0192f3c4-… --outcome action_taken --reason 'Matched to our subject; surveillance opened'")
	af := addAPIFlags(fs)
	stage := fs.String("stage", "actioned", "read or actioned")
	outcome := fs.String("outcome", "", "one of "+strings.Join(forewarn.Outcomes, ", ")+" (required when actioned)")
	reason := fs.String("reason", "", "why (required when actioned)")
	disclose := fs.String("disclose", "user", "who the sender is told answered: user, desk or agency")
	m.positional(fs, "MESSAGE-ID")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	switch forewarn.AckStage(*stage) {
	case forewarn.AckRead, forewarn.AckActioned:
	default:
		return forewarn.Invalid("--stage", "enum", "%q is not a stage; use read or actioned", *stage)
	}
	if *outcome != "" && !forewarn.KnownOutcome(*outcome) {
		return forewarn.Invalid("--outcome", "enum", "%q is not an outcome; use one of %s", *outcome, strings.Join(forewarn.Outcomes, ", "))
	}
	if forewarn.AckStage(*stage) == forewarn.AckActioned && *outcome == "" {
		return forewarn.Invalid("--outcome", "required", "an actioned acknowledgement needs its outcome; use one of %s", strings.Join(forewarn.Outcomes, ", "))
	}
	switch *disclose {
	case forewarn.AuthorUser, forewarn.AuthorDesk, forewarn.AuthorAgency:
	default:
		return forewarn.Invalid("--disclose", "enum", "%q is not a choice; use user, desk or agency", *disclose)
	}
	var v httpapi.MessageView
	body := map[string]string{"stage": *stage, "outcome": *outcome, "reason": *reason, "disclose": *disclose}
	if err := af.call(ctx, http.MethodPost, "/api/v1/messages/"+url.PathEscape(fs.Arg(0))+"/ack", body, &v); err != nil {
		var fe *forewarn.Error
		if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "ack.") {
			// Name the flag the user typed, not the API's field.
			return &forewarn.Error{Code: fe.Code, Field: "--" + strings.TrimPrefix(fe.Field, "ack."), Rule: fe.Rule, Message: fe.Message}
		}
		return err
	}
	fmt.Fprintf(m.Stdout, "Acknowledged %s (%s); acknowledgement %s queued to %s\n", fs.Arg(0), *stage, v.Message.ID, strings.Join(v.Message.To, ", "))
	return nil
}
