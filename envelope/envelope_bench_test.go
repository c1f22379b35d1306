package envelope

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkOpenDigest measures what a receiving node spends opening one warning: parse,
// canonical forms, signature check, decoding, and the digest its receipt names.
func BenchmarkOpenDigest(b *testing.B) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := OpenDigest(wire, keys, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealReceipt measures signing the receipt a receiving node answers with.
func BenchmarkSealReceipt(b *testing.B) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		b.Fatal(err)
	}
	d, err := Digest(wire)
	if err != nil {
		b.Fatal(err)
	}
	r := &Receipt{MessageID: notificationID, Recipient: "FR-DGSI", ReceivedAt: sampleCreated.Add(2 * time.Second), Digest: d}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SealReceipt(r, france); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealEncoded measures what a sending node spends sealing one warning: encoding,
// canonical form and signature.
func BenchmarkSealEncoded(b *testing.B) {
	m := sampleMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SealEncoded(m, turkey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenReceipt measures what a sending node spends checking a receipt.
func BenchmarkOpenReceipt(b *testing.B) {
	r := &Receipt{MessageID: notificationID, Recipient: "FR-DGSI", ReceivedAt: sampleCreated.Add(2 * time.Second), Digest: strings.Repeat("ab", 32)}
	wire, err := SealReceipt(r, france)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenReceipt(wire, keys, 0); err != nil {
			b.Fatal(err)
		}
	}
}
