package forewarn

import (
	"testing"
	"time"
)

// TestPhraseEnglish: a phrase's English is the sentence the record kept before phrases,
// word for word, so old and new rows read alike in e-mail, webhooks and the API.
func TestPhraseEnglish(t *testing.T) {
	deadline := time.Date(2014, 12, 15, 14, 5, 0, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		p    Phrase
		want string
	}{
		{EscalationPhrase(SideRecipient, KindNotification, "TR-MIT", "FR-DGSI", deadline, true),
			"notification from TR-MIT is not acknowledged: it was due by 15 Dec 2014 13:05 UTC. Read it and acknowledge it."},
		{EscalationPhrase(SideSender, KindRequest, "TR-MIT", "FR-DGSI", deadline, false),
			"request to FR-DGSI could not be delivered, and was due to be acknowledged by 15 Dec 2014 13:05 UTC."},
		{EscalationPhrase(SideSender, KindNotification, "TR-MIT", "FR-DGSI", deadline, true),
			"notification to FR-DGSI was delivered but not acknowledged; overdue since 15 Dec 2014 13:05 UTC."},
		{Say(PhraseAlertToldBefore, LabelArg(KindNotification), TextArg("01J"), AgencyArg("TR-MIT"), TextArg("Omar"),
			PhrasesArg(Say(PhraseAlertEarlierMessage, LabelArg(KindRequest), AgencyArg("DE-BKA"), DateArg(deadline)), Say(PhraseNoteOther, CountArg(3)))),
			`You were told about this person before: notification 01J from TR-MIT about "Omar" matches persons in the request from DE-BKA of 15 Dec 2014; 3.`},
		{Say(PhraseMatchSummaryReasons, ScoreArg(0.9), TextArg("a"), TextArg("b"), LabelsArg([]string{"exact", "reordered"})), `0.90: "a" ~ "b" (exact, reordered)`},
	} {
		if got := tt.p.English(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.p.Code, got, tt.want)
		}
		if err := tt.p.Validate("phrase"); err != nil {
			t.Errorf("%s: %v", tt.p.Code, err)
		}
	}
	for _, bad := range []Phrase{
		Say("no.such.code"),
		Say(PhraseAlertReview, TextArg("x")),
		{Args: []PhraseArg{TextArg("x")}},
		Say(PhraseMatchSummaryNotes, ScoreArg(1), TextArg("a"), TextArg("b"), PhrasesArg(Say(PhraseNoteOther))),
	} {
		if err := bad.Validate("phrase"); ErrorCode(err) != EINVALID {
			t.Errorf("Validate(%+v) = %v; want invalid", bad, err)
		}
	}
}
