package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/federation"
)

// writeCert issues a certificate for 127.0.0.1 signed by ca (self-signed when ca is nil)
// and writes it and its key as PEM files; it returns the certificate and key.
func writeCert(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca, caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// TestMutualTLS: two nodes that require each other's client certificates exchange a
// warning over HTTPS; a caller without a certificate is refused and audited.
func TestMutualTLS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil, true)
	for _, code := range []string{agencyTR.Code, agencyFR.Code} {
		writeCert(t, dir, code, ca, caKey, false)
	}
	tr, fr := pairNodes(t, "", func(code string) *serveFlags {
		return &serveFlags{listen: "127.0.0.1:0", replayWindow: app.DefaultReplayWindow,
			tlsCert: filepath.Join(dir, code+".pem"), tlsKey: filepath.Join(dir, code+".key"), tlsCA: filepath.Join(dir, "ca.pem")}
	})
	if fr.url[:8] != "https://" {
		t.Fatalf("France's node serves %s, want https", fr.url)
	}
	sent, err := tr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
		Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
		Notification: &forewarn.Notification{Summary: "over mutual TLS", Priority: forewarn.PriorityUrgent,
			Persons: []forewarn.PersonDescriptor{person("p1", "Omar Ismail Mostefai", "1985")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tr.msgs.DeliverDue(ctx, 1); err != nil || n != 1 {
		t.Fatalf("delivery over mutual TLS: %d delivered, %v", n, err)
	}
	if _, err := fr.node.Store.Message(ctx, sent.Message.ID); err != nil {
		t.Fatalf("France did not store the warning: %v", err)
	}

	// A caller that trusts the CA but presents no certificate of its own.
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := anon.Post(fr.url+federation.MessagesPath, federation.ContentType, bytes.NewReader([]byte("{}")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a delivery without a client certificate got %d, want 401", resp.StatusCode)
	}
	denied, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied", Limit: 10})
	if len(denied) == 0 {
		t.Error("the refused delivery was not audited")
	}
	// Plain HTTP to a host that is not loopback is refused unless allowed.
	if err := federation.CheckPeerURL("http://192.0.2.10:8080", false); err == nil {
		t.Error("plain HTTP off loopback accepted")
	}
	if err := federation.CheckPeerURL("http://192.0.2.10:8080", true); err != nil {
		t.Errorf("plain HTTP with the explicit flag refused: %v", err)
	}
}
