// Package edsig signs and verifies Ed25519 signatures with curve25519-voi rather than
// crypto/ed25519: on the delivery path every message costs one signature and two
// verifications (its envelope, then its receipt), and there voi verifies about twice as
// fast (a peer's key is expanded once and kept) and signs about 1.6 times as fast.
//
// Verify accepts exactly the signatures crypto/ed25519 accepts (voi's VerifyOptionsStdLib:
// cofactorless, canonical S, small-order and non-canonical A allowed), so a node on this
// package and one on the standard library never disagree about a signature; Sign returns
// the same bytes as crypto/ed25519.Sign (Ed25519 signing is deterministic). The tests
// check both against the standard library.
package edsig

import (
	"crypto/ed25519"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// stdlib makes voi verify as crypto/ed25519 does.
var stdlib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// maxExpanded bounds the keys kept expanded (about 1.5 KiB each). A node verifies the
// keys of its peers and its own: a few dozen. When the bound is reached the cache is
// emptied and fills again with the keys in use, so keys named by hostile input can
// neither grow it nor keep a peer's key out of it for good: at worst each key is expanded
// again, which is correct and only slower.
const maxExpanded = 1024

var expanded struct {
	sync.RWMutex
	keys map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey
}

// Verify reports whether sig is pub's Ed25519 signature of msg, by crypto/ed25519's rules.
// Unlike crypto/ed25519.Verify it does not panic on a key of the wrong length: it says no.
func Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	key := [ed25519.PublicKeySize]byte(pub)
	expanded.RLock()
	ek := expanded.keys[key]
	expanded.RUnlock()
	if ek == nil {
		var err error
		if ek, err = voi.NewExpandedPublicKey(voi.PublicKey(pub)); err != nil {
			return false // not a point on the curve: crypto/ed25519 refuses it too
		}
		expanded.Lock()
		if expanded.keys == nil {
			expanded.keys = make(map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey)
		}
		if len(expanded.keys) >= maxExpanded {
			clear(expanded.keys)
		}
		expanded.keys[key] = ek
		expanded.Unlock()
	}
	return voi.VerifyExpandedWithOptions(ek, msg, sig, stdlib)
}

// Sign returns priv's Ed25519 signature of msg: the same bytes crypto/ed25519.Sign returns.
// It panics, as crypto/ed25519.Sign does, when priv is not a private key's 64 bytes.
func Sign(priv ed25519.PrivateKey, msg []byte) []byte {
	return voi.Sign(voi.PrivateKey(priv), msg)
}
