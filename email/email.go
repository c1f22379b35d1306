// Package email sends the node's notification e-mail: over SMTP (STARTTLS, implicit TLS
// or, on loopback, plain; optional AUTH) with a small pool of kept-open connections, or
// into a directory of .eml files when no mail server is configured. It implements
// forewarn.EmailSender and knows nothing else of Forewarn.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // plain: only for a mail server on loopback
)

// Config is how to reach the mail server.
type Config struct {
	Host     string
	Port     int
	TLSMode  string      // TLSStartTLS, TLSImplicit or TLSNone
	TLS      *tls.Config // optional: roots and server name for TLS; nil uses the system's
	Username string      // AUTH PLAIN when set
	Password string
	From     string // the sender address
	Timeout  time.Duration
	// Conns is how many connections are kept open and used at once; 0 means 4.
	Conns int
}

// Client sends e-mail over SMTP. It is safe for concurrent use.
type Client struct {
	cfg  Config
	idle chan *conn
	sem  chan struct{}
}

// New checks cfg and returns a client; it does not connect until the first e-mail.
func New(cfg Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, forewarn.Invalid("smtp-host", "required", "the mail server's host is required")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, forewarn.Invalid("smtp-port", "range", "port %d is not a TCP port", cfg.Port)
	}
	switch cfg.TLSMode {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(cfg.Host) {
			return nil, forewarn.Invalid("smtp-tls", "loopback", "plain SMTP (--smtp-tls none) is only for a mail server on loopback, not %s", cfg.Host)
		}
	default:
		return nil, forewarn.Invalid("smtp-tls", "enum", "unknown TLS mode %q (starttls, tls or none)", cfg.TLSMode)
	}
	if err := forewarn.ValidateEmail("smtp-from", cfg.From); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 4
	}
	return &Client{cfg: cfg, idle: make(chan *conn, cfg.Conns), sem: make(chan struct{}, cfg.Conns)}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SendEmail sends e over a kept-open connection, or a new one. It returns once the server
// has accepted the message (the reply to DATA) or refused it.
func (c *Client) SendEmail(ctx context.Context, e *forewarn.Email) error {
	msg, err := Format(c.cfg.From, e)
	if err != nil {
		return err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	var conn *conn
	select {
	case conn = <-c.idle:
	default:
	}
	if conn != nil {
		// A kept connection the server has since closed fails before anything is sent:
		// try once more on a new one.
		if err := c.send(ctx, conn, e.To, msg); err == nil {
			c.release(conn)
			return nil
		} else if !errors.Is(err, errBeforeData) {
			conn.Close()
			return err
		}
		conn.Close()
	}
	conn, err = c.dial(ctx)
	if err != nil {
		return err
	}
	if err := c.send(ctx, conn, e.To, msg); err != nil {
		conn.Close()
		return err
	}
	c.release(conn)
	return nil
}

func (c *Client) release(conn *conn) {
	select {
	case c.idle <- conn:
	default:
		conn.Quit()
	}
}

// Close closes the kept connections.
func (c *Client) Close() error {
	for {
		select {
		case conn := <-c.idle:
			conn.Quit()
		default:
			return nil
		}
	}
}

var errBeforeData = errors.New("the connection failed before the message was sent")

// conn is a kept SMTP session and its network connection, to set deadlines on.
type conn struct {
	*smtp.Client
	nc net.Conn
}

func (c *Client) send(ctx context.Context, conn *conn, to string, msg []byte) error {
	deadline := time.Now().Add(c.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.nc.SetDeadline(deadline)
	if err := conn.Mail(c.cfg.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w (%w)", err, errBeforeData)
	}
	if err := conn.Rcpt(to); err != nil {
		conn.Reset()
		return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
	}
	w, err := conn.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp message refused: %w", err)
	}
	return nil
}

func (c *Client) dial(ctx context.Context) (*conn, error) {
	addr := net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))
	tlsCfg := c.cfg.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	tlsCfg = tlsCfg.Clone()
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = c.cfg.Host
	}
	tlsCfg.MinVersion = tls.VersionTLS12
	d := &net.Dialer{Timeout: c.cfg.Timeout}
	var nc net.Conn
	var err error
	if c.cfg.TLSMode == TLSImplicit {
		nc, err = (&tls.Dialer{NetDialer: d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to mail server %s: %w", addr, err)
	}
	nc.SetDeadline(time.Now().Add(c.cfg.Timeout))
	sc, err := smtp.NewClient(nc, c.cfg.Host)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("mail server %s: %w", addr, err)
	}
	cn := &conn{Client: sc, nc: nc}
	fail := func(err error) (*conn, error) {
		cn.Close()
		return nil, err
	}
	if c.cfg.TLSMode == TLSStartTLS {
		if ok, _ := cn.Extension("STARTTLS"); !ok {
			return fail(fmt.Errorf("mail server %s does not offer STARTTLS", addr))
		}
		if err := cn.StartTLS(tlsCfg); err != nil {
			return fail(fmt.Errorf("STARTTLS with %s: %w", addr, err))
		}
	}
	if c.cfg.Username != "" {
		if err := cn.Auth(smtp.PlainAuth("", c.cfg.Username, c.cfg.Password, c.cfg.Host)); err != nil {
			return fail(fmt.Errorf("AUTH with %s as %s: %w", addr, c.cfg.Username, err))
		}
	}
	return cn, nil
}

// Format returns e as an RFC 5322 message from from: quoted-printable UTF-8 text, its
// stable Message-ID, and Auto-Submitted so that out-of-office replies are not sent.
func Format(from string, e *forewarn.Email) ([]byte, error) {
	if err := forewarn.ValidateEmail("to", e.To); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(e.MessageID, "<") || !strings.HasSuffix(e.MessageID, ">") || strings.ContainsAny(e.MessageID, " \r\n") {
		return nil, forewarn.Invalid("message_id", "format", "Message-ID %q must look like <id@domain>", e.MessageID)
	}
	var b bytes.Buffer
	header := func(k, v string) {
		b.WriteString(k + ": " + v + "\r\n")
	}
	header("From", from)
	header("To", e.To)
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(e.Subject)))
	header("Date", e.Date.UTC().Format(time.RFC1123Z))
	header("Message-ID", e.MessageID)
	header("Auto-Submitted", "auto-generated")
	if e.Type != "" {
		header("X-Forewarn-Event", oneLine(string(e.Type)))
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(strings.ReplaceAll(e.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Dir is the local capture: each e-mail is written to a file named after its Message-ID
// in a directory, so a resend overwrites the same file. Use it when no mail server is
// configured; a person can open the files in any mail reader.
type Dir struct {
	Path string
	From string
}

// SendEmail writes e to Path/<message-id>.eml, atomically.
func (d *Dir) SendEmail(_ context.Context, e *forewarn.Email) error {
	msg, err := Format(d.From, e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	name := strings.NewReplacer("<", "", ">", "", "@", "_", "/", "_").Replace(e.MessageID) + ".eml"
	tmp, err := os.CreateTemp(d.Path, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(msg); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(d.Path, name))
}
