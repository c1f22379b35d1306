// Package mailpit starts a real Mailpit SMTP server on loopback for tests and reads the
// mail it caught back through its HTTP API. Tests skip with a clear message when Mailpit
// is not installed, except under CI=true, where that is a failure.
package mailpit

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/childproc"
	"github.com/forewarn/forewarn/internal/testdata"
)

// EnvBinary names the environment variable that says where the mailpit binary is.
const EnvBinary = "FOREWARN_MAILPIT"

// Find returns the mailpit binary: $FOREWARN_MAILPIT, mailpit on PATH, or ~/go/bin/mailpit
// (where `go install github.com/axllent/mailpit@v1.33.1` puts it); "" when none.
func Find() string {
	if p := os.Getenv(EnvBinary); p != "" {
		return p
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("GOPATH"), "bin"), filepath.Join(os.Getenv("HOME"), "go", "bin"), "/root/go/bin"} {
		if dir == "" || dir == "bin" {
			continue
		}
		p := filepath.Join(dir, "mailpit")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Server is a running Mailpit.
type Server struct {
	SMTPHost string
	SMTPPort int
	API      string // "http://127.0.0.1:PORT"
	cmd      *exec.Cmd
}

// Options change how Mailpit runs.
type Options struct {
	// IgnoreDuplicateIDs makes Mailpit keep one message per Message-ID, as a reader's
	// mail client shows them: a resend after a crash is not a second message.
	IgnoreDuplicateIDs bool
	// Args are more command-line arguments (TLS certificates, authentication).
	Args []string
}

// Start starts Mailpit on free loopback ports and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin := Find()
	if bin == "" {
		enable := "install it with `go install github.com/axllent/mailpit@v1.33.1`, or set " + EnvBinary
		if os.Getenv("CI") == "true" {
			tb.Fatal("mailpit not found: " + enable)
		}
		testdata.Skip(tb, "mail server tests (mailpit not found)", enable)
	}
	var last error
	for range 3 {
		s, err := start(tb, bin, opts)
		if err == nil {
			return s
		}
		last = err
	}
	tb.Fatalf("start mailpit: %v", last)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(tb testing.TB, bin string, opts Options) (*Server, error) {
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--smtp", "127.0.0.1:" + strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--database", filepath.Join(tb.TempDir(), "mailpit.db"),
		"--max", "0", "--smtp-disable-rdns", "--quiet",
	}
	if opts.IgnoreDuplicateIDs {
		args = append(args, "--ignore-duplicate-ids")
	}
	args = append(args, opts.Args...)
	cmd := exec.Command(bin, args...)
	childproc.DieWithParent(cmd)
	logf, err := os.Create(filepath.Join(tb.TempDir(), "mailpit.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{SMTPHost: "127.0.0.1", SMTPPort: smtpPort, API: "http://127.0.0.1:" + strconv.Itoa(httpPort), cmd: cmd}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for range 200 {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("mailpit exited: %v: %s", err, out)
		default:
		}
		resp, err := http.Get(s.API + "/livez")
		if err == nil {
			resp.Body.Close()
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(s.SMTPHost, strconv.Itoa(smtpPort)), time.Second); err == nil {
				c.Close()
				tb.Cleanup(func() {
					cmd.Process.Kill()
					<-exited
				})
				return s, nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return nil, fmt.Errorf("mailpit did not answer on %s", s.API)
}

// Address is a mailbox in Mailpit's API.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Message is a caught message as Mailpit lists it.
type Message struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
	Created   time.Time `json:"Created"`
	Snippet   string    `json:"Snippet"`
}

// Messages returns every caught message, newest first.
func (s *Server) Messages(tb testing.TB) []Message {
	tb.Helper()
	var all []Message
	for start := 0; ; {
		var page struct {
			Total    int       `json:"total"`
			Messages []Message `json:"messages"`
		}
		s.get(tb, "/api/v1/messages?"+url.Values{"start": {strconv.Itoa(start)}, "limit": {"1000"}}.Encode(), &page)
		all = append(all, page.Messages...)
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.Total {
			return all
		}
	}
}

// Count returns how many messages Mailpit holds.
func (s *Server) Count(tb testing.TB) int {
	tb.Helper()
	var page struct {
		Total int `json:"total"`
	}
	s.get(tb, "/api/v1/messages?limit=1", &page)
	return page.Total
}

// Text returns the plain-text body of one message.
func (s *Server) Text(tb testing.TB, id string) string {
	tb.Helper()
	var m struct {
		Text string `json:"Text"`
	}
	s.get(tb, "/api/v1/message/"+url.PathEscape(id), &m)
	return m.Text
}

// Headers returns one message's headers.
func (s *Server) Headers(tb testing.TB, id string) map[string][]string {
	tb.Helper()
	h := map[string][]string{}
	s.get(tb, "/api/v1/message/"+url.PathEscape(id)+"/headers", &h)
	return h
}

func (s *Server) get(tb testing.TB, path string, v any) {
	tb.Helper()
	resp, err := http.Get(s.API + path)
	if err != nil {
		tb.Fatalf("mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("mailpit API %s: %v", path, err)
	}
}
