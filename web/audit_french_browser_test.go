package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// pageSetup is what must happen just before a page is first opened, by page name.
var pageSetup = map[string]func(){}

// auditSamples are arguments of every kind, as details store them, for seeding. A word
// (a dataset version, a format) is shown as written, so its sample is no date: the page
// check rightly refuses dates of persons written as stored.
var auditSamples = map[forewarn.AuditArgKind]string{
	forewarn.ArgText: "quelques mots", forewarn.ArgName: "liaison", forewarn.ArgID: "014a4d63-e500-71e3-ad76-020e43492d80",
	forewarn.ArgAgency: "TR-MIT", forewarn.ArgCode: "notification", forewarn.ArgPage: "Inbox", forewarn.ArgCount: "1234",
	forewarn.ArgScore: "0.959", forewarn.ArgTime: "2014-12-15T10:01:00Z", forewarn.ArgDate: "2015-08-15", forewarn.ArgBool: "true",
	forewarn.ArgDigest: strings.Repeat("0f", 32), forewarn.ArgWord: "sdn-v7", forewarn.ArgCodes: "notification response",
	forewarn.ArgWords: "analyst", forewarn.ArgTerm: "marks.tlp", forewarn.ArgPerm: "peers.manage", forewarn.ArgSpan: "1h0m0s",
	forewarn.ArgReason: "wrong username or password", forewarn.ArgAny: "cli", forewarn.ArgObjects: "subject 014a4d63-e500-71e3-ad76-020e43492d80, message 014a4d63-e500-71e3-ad76-020e43492d81",
	forewarn.ArgFailure: "unreachable", forewarn.ArgField: "to", forewarn.ArgThird: "dial tcp 127.0.0.1:9: connect: connection refused",
}

// seedEveryAuditKind writes an entry for every sentence of forewarn.AuditDetailKinds
// (under each action it is written for), every action written without one, and every
// reason of forewarn.AuditReasonKinds quoted in a refusal, each batch under an actor of
// its own so one audit page holds it; it returns those pages, for French eyes.
func seedEveryAuditKind(t *testing.T, f *fixture) []frenchPage {
	t.Helper()
	format := func(k *forewarn.AuditDetailKind) string {
		args := make([]any, len(k.Args))
		for i, a := range k.Args {
			args[i] = auditSamples[a]
		}
		return fmt.Sprintf(k.Format, args...)
	}
	var entries []*forewarn.AuditEntry
	for _, k := range forewarn.AuditDetailKinds {
		for _, a := range k.Actions {
			entries = append(entries, &forewarn.AuditEntry{Action: a, ObjectType: "subject", ObjectID: auditSamples[forewarn.ArgID], Detail: format(k)})
		}
	}
	for _, a := range forewarn.AuditActionsWithoutDetail {
		entries = append(entries, &forewarn.AuditEntry{Action: a, ObjectType: "subject", ObjectID: auditSamples[forewarn.ArgID]})
	}
	for _, k := range forewarn.AuditReasonKinds {
		entries = append(entries, &forewarn.AuditEntry{Action: "access.denied", ObjectType: "route", ObjectID: "GET /api/v1/subjects", Detail: format(k)})
	}
	// The entries are written when the first of their pages is opened, after the other
	// pages: the oversight report reads forwards and messages by the IDs entries name.
	var pages []frenchPage
	for i := range entries {
		actor := fmt.Sprintf("seed-%d", i/45+1)
		entries[i].Actor = forewarn.SystemActor(actor)
		if i%45 == 0 {
			name := "audit-" + actor
			recorded[name] = true
			pages = append(pages, frenchPage{name: name, user: "oversight", path: "/audit?actor=" + actor, want: []string{"Journal d’audit"}})
		}
		if e := entries[i]; e.Action == "access.denied" && e.Detail == "wrong username or password" {
			pages[i/45].want = append(pages[i/45].want, "identifiant ou mot de passe erroné", "accès refusé")
		}
	}
	pages[0].want = append(pages[0].want, "identifiant liaison")
	pageSetup[pages[0].name] = func() {
		for _, e := range entries {
			if err := f.node.Store.RecordAudit(context.Background(), e); err != nil {
				t.Fatalf("%s %q: %v", e.Action, e.Detail, err)
			}
		}
	}
	if n := len(forewarn.AuditActions()); n < 80 {
		t.Fatalf("only %d audit actions", n)
	}
	return pages
}
