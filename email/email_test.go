package email_test

import (
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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/email"
	"github.com/forewarn/forewarn/internal/mailpit"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths and
// a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func testEmail(to string) *forewarn.Email {
	return &forewarn.Email{MessageID: "<0193a6f0-0000-7000-8000-000000000001@fr-dgsi.forewarn>", To: to, Subject: "[Forewarn FR-DGSI] FLASH notification from TR-MIT",
		Body: "A FLASH notification from TR-MIT arrived.\n.\nA line with a lone dot above.", Date: time.Date(2014, 12, 15, 10, 1, 0, 0, time.UTC), Type: forewarn.NotifyArrival}
}

// TestSMTPModes sends through a real SMTP server with STARTTLS and AUTH, with implicit
// TLS, and refuses what would be unsafe or wrong.
func TestSMTPModes(t *testing.T) {
	cert, key, pool := selfSigned(t)
	authFile := filepath.Join(t.TempDir(), "auth")
	os.WriteFile(authFile, []byte("forewarn:s3cret-passw0rd\n"), 0o600)
	ctx := context.Background()

	t.Run("starttls with auth", func(t *testing.T) {
		mp := mailpit.Start(t, mailpit.Options{Args: []string{"--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-starttls", "--smtp-auth-file", authFile}})
		c, err := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSStartTLS, TLS: &tls.Config{RootCAs: pool},
			Username: "forewarn", Password: "s3cret-passw0rd", From: "forewarn@fr-dgsi.example"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for range 2 { // the second goes over the kept connection
			if err := c.SendEmail(ctx, testEmail("desk@fr-dgsi.example")); err != nil {
				t.Fatalf("SendEmail: %v", err)
			}
		}
		ms := mp.Messages(t)
		if len(ms) != 2 || ms[0].MessageID != "0193a6f0-0000-7000-8000-000000000001@fr-dgsi.forewarn" || ms[0].From.Address != "forewarn@fr-dgsi.example" {
			t.Fatalf("caught %+v", ms)
		}
		if text := strings.ReplaceAll(mp.Text(t, ms[0].ID), "\r\n", "\n"); !strings.Contains(text, "\n.\nA line with a lone dot") {
			t.Errorf("the body did not survive the trip: %q", text)
		}
		bad, _ := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSStartTLS, TLS: &tls.Config{RootCAs: pool},
			Username: "forewarn", Password: "wrong", From: "forewarn@fr-dgsi.example"})
		if err := bad.SendEmail(ctx, testEmail("desk@fr-dgsi.example")); err == nil || !strings.Contains(err.Error(), "AUTH") {
			t.Errorf("a wrong password: %v", err)
		}
		untrusted, _ := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSStartTLS, From: "forewarn@fr-dgsi.example"})
		if err := untrusted.SendEmail(ctx, testEmail("desk@fr-dgsi.example")); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("an untrusted certificate was accepted: %v", err)
		}
	})
	t.Run("implicit tls", func(t *testing.T) {
		mp := mailpit.Start(t, mailpit.Options{Args: []string{"--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-tls"}})
		c, err := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSImplicit, TLS: &tls.Config{RootCAs: pool}, From: "forewarn@fr-dgsi.example"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SendEmail(ctx, testEmail("desk@fr-dgsi.example")); err != nil {
			t.Fatalf("SendEmail: %v", err)
		}
		if n := mp.Count(t); n != 1 {
			t.Errorf("caught %d", n)
		}
	})
	t.Run("starttls required but not offered", func(t *testing.T) {
		mp := mailpit.Start(t, mailpit.Options{})
		c, _ := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSStartTLS, From: "forewarn@fr-dgsi.example"})
		if err := c.SendEmail(ctx, testEmail("desk@fr-dgsi.example")); err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
			t.Errorf("sent in the clear when STARTTLS was required: %v", err)
		}
		if n := mp.Count(t); n != 0 {
			t.Errorf("caught %d", n)
		}
	})
}

// TestConfigRefusals: bad configuration is refused naming the flag.
func TestConfigRefusals(t *testing.T) {
	for _, tt := range []struct {
		cfg   email.Config
		field string
	}{
		{email.Config{Port: 587, TLSMode: email.TLSStartTLS, From: "a@b.example"}, "smtp-host"},
		{email.Config{Host: "mail.example", Port: 0, TLSMode: email.TLSStartTLS, From: "a@b.example"}, "smtp-port"},
		{email.Config{Host: "mail.example", Port: 25, TLSMode: email.TLSNone, From: "a@b.example"}, "smtp-tls"},
		{email.Config{Host: "mail.example", Port: 25, TLSMode: "ssl3", From: "a@b.example"}, "smtp-tls"},
		{email.Config{Host: "mail.example", Port: 587, TLSMode: email.TLSStartTLS, From: "not an address"}, "smtp-from"},
	} {
		_, err := email.New(tt.cfg)
		var fe *forewarn.Error
		if !asError(err, &fe) || fe.Field != tt.field {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.field)
		}
	}
	if _, err := email.Format("a@b.example", testEmail("Desk <desk@x.example>")); err == nil {
		t.Error("an e-mail to a display-name address was formatted")
	}
}

func asError(err error, fe **forewarn.Error) bool {
	e, ok := err.(*forewarn.Error)
	if ok {
		*fe = e
	}
	return ok
}
