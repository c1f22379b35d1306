package web

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestEveryPhraseInFrench: every sentence the core writes says itself in French with all
// its arguments, and reads differently from the English.
func TestEveryPhraseInFrench(t *testing.T) {
	for code, format := range forewarn.PhraseFormats {
		n, _ := forewarn.PhraseArgs(code)
		args := make([]forewarn.PhraseArg, n)
		for i := range args {
			args[i] = forewarn.TextArg("«arg" + string(rune('1'+i)) + "»")
		}
		p := forewarn.Say(code, args...)
		fr, en := french.Say(p), english.Say(p)
		if strings.Contains(fr, "%!") || strings.Contains(en, "%!") {
			t.Errorf("%s: bad arguments: %q / %q", code, fr, en)
		}
		for i := range args {
			if !strings.Contains(fr, args[i].Value) {
				t.Errorf("%s: the French %q leaves out argument %d", code, fr, i+1)
			}
		}
		if en != p.English() {
			t.Errorf("%s: the pages' English %q is not the record's %q", code, en, p.English())
		}
		if fr == en && !sameInFrench[format] {
			t.Errorf("%s: the French is the English: %q", code, fr)
		}
	}
}

// TestPhrasesSayFrench: each kind of stored sentence (escalation, match alert, review
// alert, match summary) comes out in French with French dates, numbers and words; a row
// stored before phrases shows its English, marked as English.
func TestPhrasesSayFrench(t *testing.T) {
	deadline := time.Date(2014, 12, 15, 14, 5, 0, 0, time.UTC)
	summary := forewarn.Say(forewarn.PhraseMatchSummaryReasonsNotes, forewarn.ScoreArg(0.934), forewarn.TextArg("Omar Ismail Mostefai"),
		forewarn.TextArg("Ismaël Omar Mostefaï"), forewarn.LabelsArg([]string{"reordered", "diacritics"}),
		forewarn.PhrasesArg(forewarn.Say(forewarn.PhraseNoteQueryTitle, forewarn.TextArg("Dr"))))
	about := forewarn.Say(forewarn.PhraseAlertAbout, forewarn.LabelArg(forewarn.KindNotification), forewarn.TextArg("01J0"), forewarn.AgencyArg("TR-MIT"), forewarn.TextArg("Omar Ismail Mostefai"))
	conflicts := forewarn.ClaimConflicts([]*forewarn.Claim{
		{ID: "c1", Kind: forewarn.ClaimTravelEntry, Value: "TR", Source: forewarn.Source{Agency: "FR-DGSI"}},
		{ID: "c2", Kind: forewarn.ClaimTravelExit, Value: "TR", Negative: true, Source: forewarn.Source{Agency: "TR-MIT", Name: "border records"}},
	})
	if len(conflicts) != 1 {
		t.Fatalf("conflicts = %+v; want one", conflicts)
	}
	noExit := conflicts[0]
	if noExit.Text != noExit.Phrase.English() || !strings.HasPrefix(noExit.Text, "entered TR (date unknown) (FR-DGSI), no exit record; TR-MIT / border records states there is none") {
		t.Errorf("the conflict's English is %q", noExit.Text)
	}
	for _, tt := range []struct {
		name string
		p    forewarn.Phrase
		want string
	}{
		{"escalation", forewarn.EscalationPhrase(forewarn.SideRecipient, forewarn.KindNotification, "TR-MIT", "FR-DGSI", deadline, true),
			"Message (avertissement) de TR-MIT sans accusé de réception : l’échéance était le 15 déc. 2014 14:05 UTC. Lisez-le et accusez-en réception."},
		{"escalation undelivered", forewarn.EscalationPhrase(forewarn.SideSender, forewarn.KindRequest, "TR-MIT", "FR-DGSI", deadline, false),
			"Message (demande) à FR-DGSI non remis ; l’accusé de réception était attendu pour le 15 déc. 2014 14:05 UTC."},
		{"match summary", summary,
			"0,93 : \"Omar Ismail Mostefai\" ~ \"Ismaël Omar Mostefaï\" (" + french.T(reasonLabels["reordered"]) + ", " + french.T(reasonLabels["diacritics"]) + ") ; titre \"Dr\" de la recherche écarté : un titre n’est pas une partie du nom"},
		{"match alert", forewarn.Say(forewarn.PhraseAlertHoldsWatchlisted, forewarn.PhrasesArg(about), forewarn.TextArg("Ismaël Omar Mostefaï"), forewarn.PhrasesArg(summary)),
			"Vous détenez cette personne : message (avertissement) 01J0 de TR-MIT au sujet de \"Omar Ismail Mostefai\" correspond à votre fiche sous surveillance \"Ismaël Omar Mostefaï\" (0,93 : "},
		{"review alert", forewarn.Say(forewarn.PhraseAlertReview, forewarn.LabelArg(forewarn.RetainSubject), forewarn.TextArg("S1"), forewarn.DateArg(deadline)),
			"Réexamen à faire (fiche S1, date de réexamen 15 déc. 2014) : conserver, avec une raison et une nouvelle date, ou effacer."},
		{"count", forewarn.Say(forewarn.PhraseNoteOther, forewarn.CountArg(1234)), "1\u202f234"},
		{"conflict", noExit.Phrase, "entrée en TR (date inconnue) (FR-DGSI), aucune sortie enregistrée ; TR-MIT / border records affirme qu’il n’y en a pas"},
		{"timeline claim", forewarn.Say(forewarn.PhraseTimelineClaim, forewarn.PhrasesArg(forewarn.Say(forewarn.PhraseTimelineClaimWhat, forewarn.LabelArg(forewarn.ClaimTravelEntry), forewarn.TextArg("TR"), forewarn.PartialDateArg(forewarn.PartialDate{Year: 2012}))),
			forewarn.TextArg("B2"), forewarn.DateArg(deadline)), "élément : entrée en TR 2012 (cotation B2, enregistré le 15 déc. 2014)"},
		{"timeline escalation", forewarn.Say(forewarn.PhraseTimelineEscalation, forewarn.CountArg(2), forewarn.LabelArg(forewarn.SideSender), forewarn.LabelArg(forewarn.RoleSupervisor),
			forewarn.PhrasesArg(forewarn.EscalationPhrase(forewarn.SideSender, forewarn.KindNotification, "TR-MIT", "FR-DGSI", deadline, true))),
			"relance (étape 2, côté expéditeur, superviseur) : Message (avertissement) à FR-DGSI remis mais sans accusé de réception ; en retard depuis le 15 déc. 2014 14:05 UTC."},
	} {
		got := french.Say(tt.p)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s in French:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	if got := french.said(forewarn.Phrase{}, "notification to FR-DGSI was delivered but not acknowledged"); got != `<span lang="en">notification to FR-DGSI was delivered but not acknowledged</span>` {
		t.Errorf("a stored English sentence without a phrase shows as %q", got)
	}
	if got := french.said(forewarn.EscalationPhrase(forewarn.SideSender, forewarn.KindNotification, "TR-MIT", "FR-DGSI", deadline, true), "ignored"); strings.Contains(string(got), "lang=") || !strings.HasPrefix(string(got), "Message (avertissement) à FR-DGSI remis") {
		t.Errorf("a phrase shows as %q", got)
	}
	if got := english.said(forewarn.EscalationPhrase(forewarn.SideSender, forewarn.KindNotification, "TR-MIT", "FR-DGSI", deadline, true), ""); got != "Notification to FR-DGSI was delivered but not acknowledged; overdue since 15 Dec 2014 14:05 UTC." {
		t.Errorf("a phrase in English shows as %q", got)
	}
}
