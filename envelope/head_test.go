package envelope

import (
	"crypto/ed25519"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

func sampleHead() *Head {
	h := func(c string) string { return strings.Repeat(c, 64) }
	return &Head{Agency: "TR-MIT", Seq: 12, Hash: h("c"), Time: time.Date(2014, 12, 3, 9, 31, 0, 0, time.UTC),
		FromSeq: 10, Hashes: []string{h("a"), h("b"), h("c")}}
}

// TestHeadGolden pins a signed head and France's countersignature byte for byte.
func TestHeadGolden(t *testing.T) {
	wire, err := SealHead(sampleHead(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	witnessed, err := CountersignHead(wire, "FR-DGSI", france)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "head.golden", witnessed)
	got, signers, err := OpenHead(witnessed, keys)
	if err != nil || !reflect.DeepEqual(got, sampleHead()) || !slices.Equal(signers, []string{"TR-MIT", "FR-DGSI"}) {
		t.Fatalf("OpenHead = %+v, %v, %v", got, signers, err)
	}
	if h, ok := got.HashAt(11); !ok || h != strings.Repeat("b", 64) {
		t.Errorf("HashAt(11) = %q, %v", h, ok)
	}
	if _, ok := got.HashAt(9); ok {
		t.Error("HashAt(9) found a hash the head does not state")
	}
}

// TestHeadRefusals: a head must be signed by its agency, every countersignature must
// verify, and a head's fields must hold together.
func TestHeadRefusals(t *testing.T) {
	wire, _ := SealHead(sampleHead(), turkey)
	if _, _, err := OpenHead(wire, func(string) (ed25519.PublicKey, error) { return france.PublicKey(), nil }); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
		t.Errorf("a head under another key: %v, want EUNAUTHORIZED", err)
	}
	forged, _ := CountersignHead(wire, "FR-DGSI", belgium)
	if _, _, err := OpenHead(forged, keys); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
		t.Errorf("a forged countersignature: %v, want EUNAUTHORIZED", err)
	}
	for name, edit := range map[string]func(*Head){
		"hashes not ending at the head": func(h *Head) { h.Hashes[2] = strings.Repeat("d", 64) },
		"hashes not reaching seq":       func(h *Head) { h.FromSeq = 9 },
		"no time":                       func(h *Head) { h.Time = time.Time{} },
		"seq 0":                         func(h *Head) { h.Seq = 0 },
	} {
		h := sampleHead()
		edit(h)
		if _, err := SealHead(h, turkey); forewarn.ErrorCode(err) != forewarn.EINVALID {
			t.Errorf("%s: SealHead = %v, want EINVALID", name, err)
		}
	}
	q, err := SealWitnessQuery(&WitnessQuery{Agency: "TR-MIT", AfterSeq: 5, Time: sampleHead().Time}, turkey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenWitnessQuery(q, keys); err != nil || got.AfterSeq != 5 || got.Agency != "TR-MIT" {
		t.Errorf("OpenWitnessQuery = %+v, %v", got, err)
	}
}
