package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/email"
	"github.com/forewarn/forewarn/webhook"
)

// notifyFlags configure how notifications leave the node.
type notifyFlags struct {
	smtpHost         string
	smtpPort         int
	smtpTLS          string
	smtpUser         string
	smtpPasswordFile string
	smtpFrom         string
	mailDir          string
	baseURL          string
	notifyDetail     bool
	digestHour       int
}

func addNotifyFlags(fs *flag.FlagSet) *notifyFlags {
	f := &notifyFlags{}
	fs.StringVar(&f.smtpHost, "smtp-host", "", "mail server for notification e-mail; without one, e-mail is written to --mail-dir")
	fs.IntVar(&f.smtpPort, "smtp-port", 587, "mail server port (587 for starttls, 465 for tls)")
	fs.StringVar(&f.smtpTLS, "smtp-tls", email.TLSStartTLS, "starttls, tls (implicit, port 465) or none (loopback only)")
	fs.StringVar(&f.smtpUser, "smtp-user", "", "user for SMTP AUTH (none when empty)")
	fs.StringVar(&f.smtpPasswordFile, "smtp-password-file", "", "file holding the SMTP AUTH password")
	fs.StringVar(&f.smtpFrom, "smtp-from", "", "sender address of notification e-mail (default forewarn@<agency>.invalid)")
	fs.StringVar(&f.mailDir, "mail-dir", "", "where e-mail is captured as .eml files when there is no --smtp-host (default DATA/mail)")
	fs.StringVar(&f.baseURL, "base-url", "", "the node's address as people reach it, for links in notifications (default the listen address)")
	fs.BoolVar(&f.notifyDetail, "notify-detail", false, "let names and summaries of TLP:CLEAR and TLP:GREEN messages into notifications")
	fs.IntVar(&f.digestHour, "digest-hour", app.DefaultDigestHour, "UTC hour of the supervisors' daily overdue digest; -1 for none")
	return f
}

// newNotifier builds the notification worker for a node from the flags: SMTP when a host
// is given, otherwise the local capture in a directory.
func newNotifier(node *app.Node, f *notifyFlags, agency, dataDir, url string) (*app.Notifier, error) {
	if f == nil {
		f = &notifyFlags{smtpTLS: email.TLSStartTLS, digestHour: app.DefaultDigestHour}
	}
	n := app.NewNotifier(node)
	n.Webhooks = webhook.NewSender(15 * time.Second)
	n.BaseURL, n.AllowDetail, n.DigestHour = f.baseURL, f.notifyDetail, f.digestHour
	if n.BaseURL == "" {
		n.BaseURL = url
	}
	if n.DigestHour > 23 {
		return nil, forewarn.Invalid("digest-hour", "range", "--digest-hour %d is not an hour (0-23, or -1 for none)", f.digestHour)
	}
	from := f.smtpFrom
	if from == "" {
		from = "forewarn@" + strings.ToLower(agency) + ".invalid"
	}
	if f.smtpHost == "" {
		dir := f.mailDir
		if dir == "" {
			dir = filepath.Join(dataDir, "mail")
		}
		n.Email = &email.Dir{Path: dir, From: from}
		n.EmailChannel = "no mail server configured: e-mail is captured as .eml files in " + dir
		return n, nil
	}
	password := ""
	if f.smtpPasswordFile != "" {
		b, err := os.ReadFile(f.smtpPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	c, err := email.New(email.Config{Host: f.smtpHost, Port: f.smtpPort, TLSMode: f.smtpTLS, Username: f.smtpUser, Password: password, From: from})
	if err != nil {
		return nil, err
	}
	n.Email = c
	n.EmailChannel = fmt.Sprintf("SMTP %s:%d (%s), from %s", f.smtpHost, f.smtpPort, f.smtpTLS, from)
	if f.smtpUser != "" {
		n.EmailChannel += ", AUTH as " + f.smtpUser
	}
	return n, nil
}
