package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/httpapi"
)

func runMessageForward(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message forward", "Passes a received message on to a third agency: at once when its handling marks allow it,\notherwise a consent request (what, to whom, why) goes to its originator and the message\nfollows only if the originator grants it.",
		"forewarn message forward 0192f3c4-… --to BE-VSSE --reason 'He is travelling to Brussels'")
	af := addAPIFlags(fs)
	to := fs.String("to", "", "the third agency's code (required)")
	reason := fs.String("reason", "", "why it should go there; the originator reads it (required)")
	m.positional(fs, "MESSAGE-ID")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	var fw forewarn.Forward
	if err := af.call(ctx, http.MethodPost, "/api/v1/messages/"+url.PathEscape(fs.Arg(0))+"/forward", map[string]string{"to": *to, "reason": *reason}, &fw); err != nil {
		return err
	}
	switch fw.Status {
	case forewarn.ForwardAwaitingConsent:
		fmt.Fprintf(m.Stdout, "Forward %s: asked %s's consent (request %s); the message goes to %s only if it is granted\n", fw.ID, fw.Originator, fw.ConsentRequestID, fw.To)
	default:
		fmt.Fprintf(m.Stdout, "Forward %s: message %s queued to %s\n", fw.ID, fw.ForwardedID, fw.To)
	}
	return nil
}

func runMessageConsent(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message consent", "Answers a partner's consent request: --grant or --refuse, with a reason that travels back.",
		"forewarn message consent 0192f3c4-… --refuse --reason 'source protection'")
	af := addAPIFlags(fs)
	grant := fs.Bool("grant", false, "grant consent")
	refuse := fs.Bool("refuse", false, "refuse consent")
	reason := fs.String("reason", "", "why (required)")
	m.positional(fs, "REQUEST-ID")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if *grant == *refuse {
		return forewarn.Invalid("--grant", "one_of", "give either --grant or --refuse")
	}
	var v httpapi.MessageView
	if err := af.call(ctx, http.MethodPost, "/api/v1/messages/"+url.PathEscape(fs.Arg(0))+"/consent", map[string]any{"grant": *grant, "reason": *reason}, &v); err != nil {
		return err
	}
	word := "Refused"
	if *grant {
		word = "Granted"
	}
	fmt.Fprintf(m.Stdout, "%s; answer %s queued to %s\n", word, v.Message.ID, v.Message.To[0])
	return nil
}

func runMessageOverride(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("message override", "Imminent threat to life: a supervisor passes a received message on without its originator's\nconsent. The justification is mandatory; the originator is notified at once, and the\noverride is flagged in the oversight report. --forward lets a forward awaiting consent go.",
		"forewarn message override 0192f3c4-… --to BE-VSSE --justification 'Attack planned tonight'")
	af := addAPIFlags(fs)
	to := fs.String("to", "", "the third agency's code (unless --forward)")
	forward := fs.Bool("forward", false, "the ID is a forward awaiting consent, not a message")
	justification := fs.String("justification", "", "the imminent threat (required)")
	m.positional(fs, "ID")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	path := "/api/v1/messages/" + url.PathEscape(fs.Arg(0)) + "/override"
	if *forward {
		path = "/api/v1/forwards/" + url.PathEscape(fs.Arg(0)) + "/override"
	}
	var fw forewarn.Forward
	if err := af.call(ctx, http.MethodPost, path, map[string]string{"to": *to, "justification": *justification}, &fw); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Override %s: message %s queued to %s; %s notified (%s)\n", fw.ID, fw.ForwardedID, fw.To, fw.Originator, fw.NoticeID)
	return nil
}
