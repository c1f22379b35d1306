package forewarn

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestPublicKeyOneFormat: the API's node and peer documents carry the key as
// "ed25519:BASE64", the same text 'forewarn key show' prints, and every form a person might
// paste reads back to the same key.
func TestPublicKeyOneFormat(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	want := EncodePublicKey(pub)
	for _, v := range []any{NodeInfo{Agency: Agency{Code: "TR-MIT"}, PublicKey: pub}, &Peer{Agency: Agency{Code: "TR-MIT"}, PublicKey: pub}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"public_key":"`+want+`"`) || !strings.Contains(string(b), `"agency":{`) {
			t.Errorf("JSON %s does not carry the key as %s", b, want)
		}
		var back Peer
		if err := json.Unmarshal(b, &back); err != nil || !back.PublicKey.Equal(pub) || back.Agency.Code != "TR-MIT" {
			t.Errorf("round trip of %s: %+v, %v", b, back, err)
		}
	}
	bare := base64.StdEncoding.EncodeToString(pub)
	for _, in := range []string{want, "TR-MIT " + want, " " + want + "\n", bare, "TR-MIT " + want + "\n"} {
		got, err := ParsePublicKey(in)
		if err != nil || !got.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ed25519:", "ed25519:" + bare[:20], "rsa:" + bare, "whoever " + want} {
		if _, err := ParsePublicKey(in); err == nil || !strings.Contains(err.Error(), "ed25519:") {
			t.Errorf("ParsePublicKey(%q) = %v, want an error showing the expected form", in, err)
		}
	}
}
