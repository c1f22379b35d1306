package edsig

import (
	"crypto/ed25519"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestSignMatchesStdlib: Ed25519 signing is deterministic, so voi's signature of every
// message must be crypto/ed25519's, byte for byte, and verify under both.
func TestSignMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		seed := make([]byte, ed25519.SeedSize)
		fill(r, seed)
		priv := ed25519.NewKeyFromSeed(seed)
		msg := make([]byte, r.IntN(2048))
		fill(r, msg)
		got, want := Sign(priv, msg), ed25519.Sign(priv, msg)
		if hex.EncodeToString(got) != hex.EncodeToString(want) {
			t.Fatalf("case %d: Sign = %x, crypto/ed25519.Sign = %x", i, got, want)
		}
		pub := priv.Public().(ed25519.PublicKey)
		if !Verify(pub, msg, got) {
			t.Fatalf("case %d: Verify refused a good signature", i)
		}
	}
}

// TestVerifyAgreesWithStdlib feeds both implementations good signatures with one bit
// flipped anywhere (key, message or signature) and hand-made edge cases, and requires the
// same answer each time: two nodes must never disagree about a signature.
func TestVerifyAgreesWithStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	refused := 0
	for i := range 600 {
		seed := make([]byte, ed25519.SeedSize)
		fill(r, seed)
		priv := ed25519.NewKeyFromSeed(seed)
		pub := append(ed25519.PublicKey(nil), priv.Public().(ed25519.PublicKey)...)
		msg := make([]byte, 1+r.IntN(512))
		fill(r, msg)
		sig := ed25519.Sign(priv, msg)
		switch i % 3 {
		case 0:
			sig[r.IntN(len(sig))] ^= 1 << r.IntN(8)
		case 1:
			msg[r.IntN(len(msg))] ^= 1 << r.IntN(8)
		case 2:
			pub[r.IntN(len(pub))] ^= 1 << r.IntN(8)
		}
		got, want := Verify(pub, msg, sig), ed25519.Verify(pub, msg, sig)
		if got != want {
			t.Fatalf("case %d: Verify = %v, crypto/ed25519.Verify = %v (pub %x sig %x)", i, got, want, pub, sig)
		}
		if !got {
			refused++
		}
	}
	if refused < 590 {
		t.Errorf("only %d of 600 altered signatures were refused", refused)
	}

	// Points and scalars at the edges of the encoding, where implementations have been
	// known to differ: the identity (small order), a non-canonical encoding of it
	// (y = p+1), a negative zero x, an undecodable point, S = 0, S = L (not reduced).
	identity := "0100000000000000000000000000000000000000000000000000000000000000"
	nonCanonical := "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
	negZero := "0100000000000000000000000000000000000000000000000000000000000080"
	notOnCurve := "0200000000000000000000000000000000000000000000000000000000000000"
	zero := "0000000000000000000000000000000000000000000000000000000000000000"
	order := "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
	points := []string{identity, nonCanonical, negZero, notOnCurve}
	accepted := 0
	for _, a := range points {
		for _, rr := range points {
			for _, s := range []string{zero, order} {
				pub, sig := unhex(t, a), unhex(t, rr+s)
				for _, msg := range []string{"", "forewarn"} {
					got, want := Verify(pub, []byte(msg), sig), ed25519.Verify(pub, []byte(msg), sig)
					if got != want {
						t.Errorf("A=%s R=%s S=%s msg=%q: Verify = %v, crypto/ed25519.Verify = %v", a, rr, s, msg, got, want)
					}
					if got {
						accepted++
					}
				}
			}
		}
	}
	if accepted == 0 {
		t.Errorf("no edge case verified: the identity key with R = identity and S = 0 should, under both")
	}
}

func TestVerifyRefusesWrongLengths(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	sig := Sign(priv, []byte("m"))
	if Verify(pub[:31], []byte("m"), sig) || Verify(pub, []byte("m"), sig[:63]) {
		t.Fatal("Verify accepted a short key or signature")
	}
}

// TestExpandedKeysBounded: keys named by input cannot grow the cache past its bound, keys
// past it still verify, and the last key used is kept (the cache starts again rather than
// refusing new keys for good).
func TestExpandedKeysBounded(t *testing.T) {
	t.Cleanup(forgetExpanded) // the benchmarks measure a cache holding only their key
	r := rand.New(rand.NewPCG(5, 6))
	var pub ed25519.PublicKey
	var sig []byte
	for range maxExpanded + 50 {
		seed := make([]byte, ed25519.SeedSize)
		fill(r, seed)
		priv := ed25519.NewKeyFromSeed(seed)
		pub, sig = priv.Public().(ed25519.PublicKey), Sign(priv, []byte("x"))
		if !Verify(pub, []byte("x"), sig) {
			t.Fatal("a good signature did not verify")
		}
	}
	expanded.RLock()
	n := len(expanded.keys)
	expanded.RUnlock()
	if n > maxExpanded {
		t.Fatalf("%d keys expanded, bound %d", n, maxExpanded)
	}
	expanded.RLock()
	kept := expanded.keys[[ed25519.PublicKeySize]byte(pub)] != nil
	expanded.RUnlock()
	if !kept {
		t.Error("the last key verified past the bound was not kept expanded")
	}
	if !Verify(pub, []byte("x"), sig) {
		t.Fatal("a key past the bound no longer verifies")
	}
}

// TestExpandedKeysDoNotCross: with both keys kept expanded, a signature verifies under
// the key that made it and never under the other, however the two alternate, so the
// cache can never answer for a key with another's expansion.
func TestExpandedKeysDoNotCross(t *testing.T) {
	t.Cleanup(forgetExpanded)
	forgetExpanded()
	pubA, privA, _ := ed25519.GenerateKey(nil)
	pubB, privB, _ := ed25519.GenerateKey(nil)
	msg := []byte("forewarn")
	sigA, sigB := Sign(privA, msg), Sign(privB, msg)
	for i := range 6 {
		if !Verify(pubA, msg, sigA) || !Verify(pubB, msg, sigB) {
			t.Fatalf("round %d: a key's own signature did not verify", i)
		}
		if Verify(pubA, msg, sigB) || Verify(pubB, msg, sigA) {
			t.Fatalf("round %d: a signature verified under the other key", i)
		}
	}
	expanded.RLock()
	n := len(expanded.keys)
	expanded.RUnlock()
	if n != 2 {
		t.Errorf("%d keys kept expanded, want the 2 verified", n)
	}
}

func forgetExpanded() {
	expanded.Lock()
	expanded.keys = nil
	expanded.Unlock()
}

func fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkVerify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 600)
	sig := Sign(priv, msg)
	b.Run("edsig", func(b *testing.B) {
		for b.Loop() {
			Verify(pub, msg, sig)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Verify(pub, msg, sig)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 600)
	b.Run("edsig", func(b *testing.B) {
		for b.Loop() {
			Sign(priv, msg)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(priv, msg)
		}
	})
}
