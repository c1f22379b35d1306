package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestSentViewAsView checks that a sent message answered with its encoding from sealing
// gives the bytes encoding it again gives.
func TestSentViewAsView(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 123456789, time.UTC)
	m := &forewarn.Message{ID: forewarn.NewID(now), Version: 1, From: "TR-MIT", To: []string{"FR-DGSI"}, Created: now, Kind: forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{"FR-DGSI"}},
		Notification: &forewarn.Notification{Summary: "<b>Ismaël</b> & \"Omar\" \u2028 — a fifth man", Priority: forewarn.PriorityUrgent, AcknowledgeBy: now.Add(time.Hour),
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}},
				BirthDate: forewarn.PartialDate{Year: 1985, Month: 11}}}}}
	encoded, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sm := &forewarn.StoredMessage{Message: m, Encoded: encoded, Direction: forewarn.DirectionOut, StoredAt: now, Priority: forewarn.PriorityUrgent,
		Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: "FR-DGSI", Direction: forewarn.DirectionOut, NextAttempt: now, Deadline: now.Add(time.Hour)}}}
	want, got := httptest.NewRecorder(), httptest.NewRecorder()
	writeJSON(want, 201, viewOf(sm))
	writeJSON(got, 201, sentView{Message: sm.Encoded, MessageView: viewOf(sm)})
	if got.Body.String() != want.Body.String() {
		t.Fatalf("answered as sent:\n%s\nencoded again:\n%s", got.Body, want.Body)
	}
}

// TestWriteJSONReused: answers written one after another with the encoders writeJSON
// reuses are each the bytes an indenting json.Encoder gives, with their length, a short
// answer after a long one included.
func TestWriteJSONReused(t *testing.T) {
	long := map[string]string{"status": strings.Repeat("long ", 2000)}
	for _, v := range []any{long, map[string]int{"n": 1}, long, []string{}} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		got := httptest.NewRecorder()
		writeJSON(got, 200, v)
		if got.Body.String() != want.String() {
			t.Fatalf("writeJSON wrote\n%.200s\nwant\n%.200s", got.Body, want.String())
		}
		if cl := got.Header().Get("Content-Length"); cl != strconv.Itoa(want.Len()) {
			t.Errorf("Content-Length %s, want %d", cl, want.Len())
		}
	}
}
