package forewarn

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// A node's public key is written one way everywhere people and programs see it: "ed25519:"
// and the key's 32 bytes in standard base64, as 'forewarn key show' prints it after the
// agency code, and as the API's node and peer documents carry it.

// EncodePublicKey writes a public key as "ed25519:BASE64".
func EncodePublicKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey reads a public key as a person pastes it: "ed25519:BASE64", the whole
// "AGENCY ed25519:BASE64" line 'forewarn key show' prints, or the bare base64 of older API
// answers.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if fields := strings.Fields(s); len(fields) == 2 && IsAgencyCode(fields[0]) {
		s = fields[1]
	}
	rest, _ := strings.CutPrefix(s, "ed25519:")
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%q is not an ed25519 public key: want ed25519: and 32 bytes of base64 (44 characters), as 'forewarn key show' prints it", s)
	}
	return ed25519.PublicKey(b), nil
}

// encodedKey is a public key field in JSON: "ed25519:BASE64" out, any ParsePublicKey form in.
type encodedKey ed25519.PublicKey

func (k encodedKey) MarshalJSON() ([]byte, error) {
	if len(k) == 0 {
		return []byte(`""`), nil
	}
	return json.Marshal(EncodePublicKey(ed25519.PublicKey(k)))
}

func (k *encodedKey) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Invalid("public_key", "ed25519", "want a string like ed25519:BASE64")
	}
	if s == "" {
		*k = nil
		return nil
	}
	pub, err := ParsePublicKey(s)
	if err != nil {
		return Invalid("public_key", "ed25519", "%v", err)
	}
	*k = encodedKey(pub)
	return nil
}

// MarshalJSON writes the node's key as "ed25519:BASE64".
func (n NodeInfo) MarshalJSON() ([]byte, error) {
	type plain NodeInfo
	return json.Marshal(struct {
		plain
		PublicKey encodedKey `json:"public_key"`
	}{plain(n), encodedKey(n.PublicKey)})
}

// UnmarshalJSON reads the node's key in any form ParsePublicKey takes.
func (n *NodeInfo) UnmarshalJSON(b []byte) error {
	type plain NodeInfo
	var v struct {
		plain
		PublicKey encodedKey `json:"public_key"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = NodeInfo(v.plain)
	n.PublicKey = ed25519.PublicKey(v.PublicKey)
	return nil
}

// MarshalJSON writes the peer's pinned key as "ed25519:BASE64".
func (p Peer) MarshalJSON() ([]byte, error) {
	type plain Peer
	return json.Marshal(struct {
		plain
		PublicKey encodedKey `json:"public_key"`
	}{plain(p), encodedKey(p.PublicKey)})
}

// UnmarshalJSON reads the peer's key in any form ParsePublicKey takes.
func (p *Peer) UnmarshalJSON(b []byte) error {
	type plain Peer
	var v struct {
		plain
		PublicKey encodedKey `json:"public_key"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Peer(v.plain)
	p.PublicKey = ed25519.PublicKey(v.PublicKey)
	return nil
}
