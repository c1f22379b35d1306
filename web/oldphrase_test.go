package web

import (
	"fmt"
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// The English alerts and escalations were written with before migration 0320, copied as
// they were (escalation.go's EscalationText, app/arrival.go, app/imports.go,
// app/private.go, sqlstore/retention.go and app.Summary before d0a37de).
func oldEscalationText(side forewarn.EscalationSide, kind forewarn.MessageKind, from, to string, deadline time.Time, delivered bool) string {
	when := deadline.UTC().Format("2 Jan 2006 15:04 MST")
	if side == forewarn.SideRecipient {
		return fmt.Sprintf("%s from %s is not acknowledged: it was due by %s. Read it and acknowledge it.", kind, from, when)
	}
	if !delivered {
		return fmt.Sprintf("%s to %s could not be delivered, and was due to be acknowledged by %s.", kind, to, when)
	}
	return fmt.Sprintf("%s to %s was delivered but not acknowledged; overdue since %s.", kind, to, when)
}

func oldSummaryText(score float64, query, candidate string, reasons, notes []string) string {
	s := fmt.Sprintf("%.2f: %q ~ %q", score, query, candidate)
	if len(reasons) > 0 {
		s += " (" + strings.Join(reasons, ", ") + ")"
	}
	if len(notes) > 0 {
		s += "; " + strings.Join(notes, "; ")
	}
	return s
}

// TestOldAlertsInFrench: alerts and escalations stored before phrases are read back from
// their English, in every shape the old code wrote, and said in French; what is of no
// known shape stays English, marked so.
func TestOldAlertsInFrench(t *testing.T) {
	deadline := time.Date(2014, 12, 16, 10, 0, 0, 0, time.UTC)
	created := time.Date(2014, 12, 15, 9, 30, 0, 0, time.UTC)
	const id = "0149a3e2-7c00-7000-8000-000000000001"
	summary := oldSummaryText(0.96, "Omar Ismail Mostefai", "Ismaël Omar Mostefaï", []string{"reordered", "diacritics"}, nil)
	about := fmt.Sprintf("%s %s from %s about %q", forewarn.KindNotification, id, "TR-MIT", "Omar Ismail Mostefai")
	earlier := []string{fmt.Sprintf("the %s from %s of %s", forewarn.KindNotification, "TR-MIT", created.Format("2 Jan 2006")),
		fmt.Sprintf("the %s from %s of %s", forewarn.KindRequest, "TR-MIT", deadline.Format("2 Jan 2006"))}
	for _, tt := range []struct{ name, old, want string }{
		{"recipient escalation", oldEscalationText(forewarn.SideRecipient, forewarn.KindNotification, "TR-MIT", "FR-DGSI", deadline, true),
			"Message (avertissement) de TR-MIT sans accusé de réception : l’échéance était le 16 déc. 2014 10:00 UTC. Lisez-le et accusez-en réception."},
		{"undelivered", oldEscalationText(forewarn.SideSender, forewarn.KindRequest, "FR-DGSI", "TR-MIT", deadline, false),
			"Message (demande) à TR-MIT non remis ; l’accusé de réception était attendu pour le 16 déc. 2014 10:00 UTC."},
		{"unacknowledged", oldEscalationText(forewarn.SideSender, forewarn.KindNotification, "FR-DGSI", "TR-MIT", deadline, true),
			"Message (avertissement) à TR-MIT remis mais sans accusé de réception ; en retard depuis le 16 déc. 2014 10:00 UTC."},
		{"holds, watch-listed", fmt.Sprintf("You hold this person: %s matches your watch-listed subject %q (%s).", about, "Ismaël Omar Mostefaï", summary),
			"Vous détenez cette personne : message (avertissement) " + id + " de TR-MIT au sujet de \"Omar Ismail Mostefai\" correspond à votre fiche sous surveillance \"Ismaël Omar Mostefaï\" (0,96 : \"Omar Ismail Mostefai\" ~ \"Ismaël Omar Mostefaï\" (ordre différent, diacritiques))."},
		{"holds", fmt.Sprintf("You hold this person: %s matches your subject %q (%s). Review the match.", about, "Ismaël Omar Mostefaï",
			oldSummaryText(0.71, "Mostefai", "Ismaël Omar Mostefaï", nil, []string{"shares only the surname mostefai: below the threshold unless birth date, nationality or document agree"})),
			"Vous détenez cette personne : message (avertissement) " + id + " de TR-MIT au sujet de \"Omar Ismail Mostefai\" correspond à votre fiche \"Ismaël Omar Mostefaï\" (0,71 : \"Mostefai\" ~ \"Ismaël Omar Mostefaï\" ; seul le nom de famille mostefai est commun : sous le seuil, sauf si la date de naissance, la nationalité ou un document concordent). Examinez la correspondance."},
		{"told before", fmt.Sprintf("You were told about this person before: %s %s from %s about %q matches persons in %s.", forewarn.KindNotification, id, "TR-MIT", "Omar Ismail Mostefai", strings.Join(earlier, "; ")),
			"Cette personne vous a déjà été signalée : le message (avertissement) " + id + " de TR-MIT au sujet de \"Omar Ismail Mostefai\" correspond à des personnes dans le message (avertissement) de TR-MIT du 15 déc. 2014 ; le message (demande) de TR-MIT du 16 déc. 2014."},
		{"retro", fmt.Sprintf("You were told about this person before: %s from %s on %s described %q, who matches your subject %q (%s).", forewarn.KindNotification, "TR-MIT", created.Format("2 Jan 2006"), "Omar Ismail Mostefai", "Ismaël Omar Mostefaï", summary),
			"Cette personne vous a déjà été signalée : le message (avertissement) de TR-MIT du 15 déc. 2014 décrivait \"Omar Ismail Mostefai\", qui correspond à votre fiche \"Ismaël Omar Mostefaï\" (0,96 : \"Omar Ismail Mostefai\" ~ \"Ismaël Omar Mostefaï\" (ordre différent, diacritiques))."},
		{"import", fmt.Sprintf("Import %s (%s %s): you were told about your subject %q before: %s. Review the matches.", "job1", "un-sc", "2015-06", "Ismaël Omar Mostefaï",
			fmt.Sprintf("the %s from %s of %s about %q", forewarn.KindNotification, "TR-MIT", created.Format("2 Jan 2006"), "Omar Ismail Mostefai")),
			"Import job1 (un-sc 2015-06) : votre fiche \"Ismaël Omar Mostefaï\" vous avait déjà été signalée : le message (avertissement) de TR-MIT du 15 déc. 2014 au sujet de \"Omar Ismail Mostefai\". Examinez les correspondances."},
		{"private ask", fmt.Sprintf("%s: likely holds (%s) — %s", "TR-MIT", "strong", "Mostefai, 1985"), "TR-MIT : détient probablement (forte) — Mostefai, 1985"},
		{"private report", fmt.Sprintf("%s asked privately about a person matching your subject %s (%s)", "TR-MIT", "Ismaël Omar Mostefaï", "weak"),
			"TR-MIT a demandé confidentiellement si vous déteniez une personne correspondant à votre fiche Ismaël Omar Mostefaï (faible)"},
		{"review", fmt.Sprintf("Review due for %s %s (review date %s): keep it, with a reason and a new date, or erase it.", "subject", id, deadline.Format("2 Jan 2006")),
			"Réexamen à faire (fiche " + id + ", date de réexamen 16 déc. 2014) : conserver, avec une raison et une nouvelle date, ou effacer."},
		{"a match's summary", summary, "0,96 : \"Omar Ismail Mostefai\" ~ \"Ismaël Omar Mostefaï\" (ordre différent, diacritiques)"},
		{"of no known shape", "Something a person wrote by hand.", `<span lang="en">Something a person wrote by hand.</span>`},
		{"almost a shape", "notification from TR-MIT is not acknowledged: it was due by tomorrow. Read it and acknowledge it.",
			`<span lang="en">notification from TR-MIT is not acknowledged: it was due by tomorrow. Read it and acknowledge it.</span>`},
	} {
		got := string(french.said(forewarn.Phrase{}, tt.old))
		want := strings.ToUpper(tt.want[:1]) + tt.want[1:]
		if strings.HasPrefix(tt.want, "<") {
			want = tt.want
		} else {
			want = template.HTMLEscapeString(want)
		}
		if got != want {
			t.Errorf("%s:\n old  %q\n got  %q\n want %q", tt.name, tt.old, got, want)
		}
		if en := string(english.said(forewarn.Phrase{}, tt.old)); !strings.HasPrefix(tt.want, "<") && en != template.HTMLEscapeString(strings.ToUpper(tt.old[:1])+tt.old[1:]) {
			t.Errorf("%s in English: %q, want the stored English %q", tt.name, en, tt.old)
		}
	}
}
