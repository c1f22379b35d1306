// Package keyfile keeps a node's ed25519 private key in a file readable only by its owner,
// and signs with it through the forewarn.Signer interface, so the rest of the code never
// holds the key itself and a hardware key can replace the file later.
package keyfile

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/forewarn/forewarn/internal/edsig"
)

// Key is an ed25519 key loaded from a key file.
type Key struct {
	priv ed25519.PrivateKey
}

// PublicKey returns the key's public half.
func (k *Key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// Sign signs msg with the private key.
func (k *Key) Sign(msg []byte) ([]byte, error) { return edsig.Sign(k.priv, msg), nil }

// SignsInProcess says the signatures are made here, by internal/edsig, with a private key
// derived from the seed its public half comes from, so they always verify with
// PublicKey: sealing need not check each one again (it checks a device's).
func (k *Key) SignsInProcess() bool { return true }

const header = "forewarn-ed25519-private-key-v1\n"

// Generate creates a new key and writes it to path with mode 0600. It refuses to overwrite
// an existing file: losing a node's key means its peers must re-pin it.
func Generate(path string) (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("key file %s already exists; refusing to overwrite it", path)
		}
		return nil, err
	}
	_, err = f.WriteString(header + base64.StdEncoding.EncodeToString(priv.Seed()) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return &Key{priv: priv}, nil
}

// Load reads a key file written by Generate. It refuses a file that others can read.
func Load(path string) (*Key, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %v; it must be readable by its owner only (chmod 600)", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := string(b)
	if !strings.HasPrefix(s, header) {
		return nil, fmt.Errorf("key file %s is not a Forewarn ed25519 key", path)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(s, header)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s is damaged: the key does not decode", path)
	}
	return &Key{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// FromSeed returns a key from a 32-byte seed, for tests and the demo's fixed identities.
func FromSeed(seed []byte) *Key { return &Key{priv: ed25519.NewKeyFromSeed(seed)} }

// EncodePublicKey formats a public key the way peers exchange it: "ed25519:" and base64.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// DecodePublicKey parses the form written by EncodePublicKey.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "ed25519:")
	if !ok {
		return nil, fmt.Errorf("public key %q must start with ed25519:", s)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key %q is not 32 bytes of base64", s)
	}
	return ed25519.PublicKey(b), nil
}
