package stix

import (
	"encoding/json"
	"strings"

	"github.com/forewarn/forewarn"
)

// TLP2ExtensionID is the OASIS extension-definition the TLP 2.0 marking-definitions use.
const TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The official IDs of the TLP 2.0 marking-definitions (OASIS cti-stix-common-objects).
var tlpIDs = map[forewarn.TLP]string{
	forewarn.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	forewarn.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	forewarn.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	forewarn.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	forewarn.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// The TLP 1.0 marking-definitions STIX 2.1 predefines, read as their TLP 2.0 equivalents.
var tlp1IDs = map[string]forewarn.TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": forewarn.TLPClear, // TLP:WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": forewarn.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": forewarn.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": forewarn.TLPRed,
}

// TLPMarkingID returns the official marking-definition ID of a TLP 2.0 level, "" for none.
func TLPMarkingID(t forewarn.TLP) string { return tlpIDs[t] }

// TLPOf returns the TLP level a marking-definition ID stands for: the TLP 2.0 ones and
// STIX 2.1's predefined TLP 1.0 ones (WHITE reads as CLEAR).
func TLPOf(markingID string) (forewarn.TLP, bool) {
	for t, id := range tlpIDs {
		if id == markingID {
			return t, true
		}
	}
	t, ok := tlp1IDs[markingID]
	return t, ok
}

// TLPMarking returns the official TLP 2.0 marking-definition object of a level.
func TLPMarking(t forewarn.TLP) *Object {
	id := tlpIDs[t]
	if id == "" {
		return nil
	}
	ext, _ := json.Marshal(map[string]string{"extension_type": "property-extension", "tlp_2_0": strings.ToLower(string(t))})
	return &Object{Type: "marking-definition", SpecVersion: "2.1", ID: id, Created: "2022-10-01T00:00:00.000Z",
		Name: "TLP:" + string(t), Extensions: map[string]json.RawMessage{TLP2ExtensionID: ext}}
}

// ReleaseMarking returns a statement marking-definition saying in words what the release
// list and the originator-consent rule say in the extension, for tools that show only
// markings; nil when the marks have neither. Its ID is derived from the statement.
func ReleaseMarking(h forewarn.HandlingMarks) *Object {
	var parts []string
	if len(h.ReleasableTo) > 0 {
		parts = append(parts, "Releasable to "+strings.Join(h.ReleasableTo, ", ")+" only.")
	}
	if h.OriginatorConsentRequired {
		parts = append(parts, "No onward sharing without the originator's consent.")
	}
	if len(parts) == 0 {
		return nil
	}
	statement := strings.Join(parts, " ")
	return &Object{Type: "marking-definition", SpecVersion: "2.1", ID: stableID("marking-definition", "forewarn:statement:"+statement),
		Created: "2026-01-01T00:00:00.000Z", Name: "Forewarn handling", DefinitionType: "statement",
		Definition: map[string]string{"statement": statement}}
}

// handlingMarks returns the marking refs and the markings of handling marks.
func handlingMarks(h forewarn.HandlingMarks) (refs []string, markings []*Object) {
	if m := TLPMarking(h.TLP); m != nil {
		refs, markings = append(refs, m.ID), append(markings, m)
	}
	if m := ReleaseMarking(h); m != nil {
		refs, markings = append(refs, m.ID), append(markings, m)
	}
	return refs, markings
}

func extHandling(h forewarn.HandlingMarks) *ExtHandling {
	if h.TLP == "" {
		return nil
	}
	return &ExtHandling{TLP: string(h.TLP), ReleasableTo: h.ReleasableTo, OriginatorConsentRequired: h.OriginatorConsentRequired}
}

// Admiralty credibility on STIX 2.1's "Admiralty Credibility" confidence scale (spec
// appendix A): 1 → 90 … 5 → 10; 6 (cannot be judged) has no confidence.
var credibilityConfidence = [...]int{0, 90, 70, 50, 30, 10}

// Confidence returns the STIX confidence of an Admiralty credibility, nil for 6 or none.
func Confidence(credibility int) *int {
	if credibility < 1 || credibility > 5 {
		return nil
	}
	c := credibilityConfidence[credibility]
	return &c
}

// Credibility returns the Admiralty credibility of a STIX confidence (80-100 → 1,
// 60-79 → 2, 40-59 → 3, 20-39 → 4, 0-19 → 5; none → 6).
func Credibility(confidence *int) int {
	if confidence == nil {
		return 6
	}
	switch c := *confidence; {
	case c >= 80:
		return 1
	case c >= 60:
		return 2
	case c >= 40:
		return 3
	case c >= 20:
		return 4
	}
	return 5
}

// MarkingObjects returns the marking-definitions an object under the handling marks
// refers to (the TLP 2.0 one, and the release statement when there is one), to be
// served or written alongside it.
func MarkingObjects(h forewarn.HandlingMarks) []*Object {
	_, m := handlingMarks(h)
	return m
}
