package keyfile

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateLoadSign(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	k, err := Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", st.Mode().Perm())
	}
	if _, err := Generate(path); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second Generate: err = %v, want refusal", err)
	}
	k2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := k2.Sign([]byte("hello"))
	if !ed25519.Verify(k.PublicKey(), []byte("hello"), sig) {
		t.Fatal("signature by loaded key does not verify with generated public key")
	}
	pub, err := DecodePublicKey(EncodePublicKey(k.PublicKey()))
	if err != nil || !pub.Equal(k.PublicKey()) {
		t.Fatalf("public key round trip: %v", err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	if _, err := Generate(open); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o644)
	if _, err := Load(open); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: err = %v", err)
	}
	junk := filepath.Join(dir, "junk.key")
	os.WriteFile(junk, []byte("hello"), 0o600)
	if _, err := Load(junk); err == nil || !strings.Contains(err.Error(), "not a Forewarn") {
		t.Fatalf("junk key: err = %v", err)
	}
	if _, err := DecodePublicKey("ed25519:AAAA"); err == nil {
		t.Fatal("short public key accepted")
	}
}
