package forewarn

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// The forms IsAgencyCode and IsMessageID read byte by byte, as regular expressions.
var (
	agencyCodeForm = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{2,16}$`)
	messageIDForm  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

var idCorpus = []string{"", "TR-MIT", "FR-DGSI", "tr-MIT", "TR_MIT", "TRMIT", "T-MIT", "TRX-MIT", "TR-M", "TR-MI", "TR-0123456789ABCDEF",
	"TR-0123456789ABCDEFG", "TR-MIT\n", "TR-MİT", "1R-MIT", "TR--MIT", "TR-MI-T", "TR-mit", "ÉR-MIT",
	"0190b5a8-3c2e-7d4f-8a1b-2c3d4e5f6a7b", "0190b5a8-3c2e-7d4f-ba1b-2c3d4e5f6a7b", "0190b5a8-3c2e-6d4f-8a1b-2c3d4e5f6a7b",
	"0190b5a8-3c2e-7d4f-ca1b-2c3d4e5f6a7b", "0190B5A8-3C2E-7D4F-8A1B-2C3D4E5F6A7B", "0190b5a8-3c2e-7d4f-8a1b-2c3d4e5f6a7", "0190b5a8-3c2e-7d4f-8a1b-2c3d4e5f6a7b0",
	"0190b5a83c2e-7d4f-8a1b-2c3d4e5f6a7b-", "0190b5a8-3c2e-7d4f-8a1b-2c3d4e5f6a7g", "0190b5a8-3c2e-7d4f-8a1b-2c3d4e5f6a7b\n", "0190b5a8-3c2e-7d4f-éa1b-2c3d4e5f6a7"}

func checkIDForms(t *testing.T, s string) {
	t.Helper()
	if got, want := IsAgencyCode(s), agencyCodeForm.MatchString(s); got != want {
		t.Errorf("IsAgencyCode(%q) = %v, want %v", s, got, want)
	}
	if got, want := IsMessageID(s), messageIDForm.MatchString(s); got != want {
		t.Errorf("IsMessageID(%q) = %v, want %v", s, got, want)
	}
}

// TestIDForms: agency codes and message IDs are recognised exactly as their regular
// expressions recognise them.
func TestIDForms(t *testing.T) {
	for _, s := range idCorpus {
		checkIDForms(t, s)
	}
	for i := range 200 {
		id := NewID(time.Unix(int64(i)*7919, int64(i)))
		if !IsMessageID(id) {
			t.Errorf("NewID gave %q, not a message ID", id)
		}
		checkIDForms(t, id)
		checkIDForms(t, strings.ToUpper(id))
	}
}

func FuzzIDForms(f *testing.F) {
	for _, s := range idCorpus {
		f.Add(s)
	}
	f.Fuzz(checkIDForms)
}

// BenchmarkIDForms measures checking the agency codes and message IDs a message carries.
func BenchmarkIDForms(b *testing.B) {
	id := NewID(time.Unix(1700000000, 0))
	for b.Loop() {
		if !IsMessageID(id) || !IsAgencyCode("TR-MIT") || !IsAgencyCode("FR-DGSI") || IsAgencyCode("fr-dgsi") {
			b.Fatal("misread")
		}
	}
}
