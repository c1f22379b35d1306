package forewarn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"regexp"
)

// A failure of a third party (a peer's node, a mail server, a webhook, a feed) is stored
// as its own English text, which no catalogue can say in another language. So the node
// records, before that text, what kind of failure it was: a failure code (and the field,
// when the other side named one), as "error=unreachable: dial tcp …: connection refused".
// A page says the code in its reader's language and shows the third party's text apart,
// as a technical detail in English; the API, the CLI and the log keep the whole line.

// Failure codes: what went wrong with a third party. A Forewarn peer's refusal gives its
// own error code (EINVALID, EFORBIDDEN …) instead.
const (
	FailUnreachable = "unreachable"  // no connection: refused, no route, no such host
	FailTimeout     = "timeout"      // no answer in time
	FailTLS         = "tls"          // the secure connection failed: certificate, handshake
	FailAuth        = "auth"         // the other side refused our credentials (HTTP 401/403, SMTP 535)
	FailDeferred    = "deferred"     // the other side asked to try later (HTTP 429/503, SMTP 4xx)
	FailRefused     = "refused"      // the other side refused it (HTTP 4xx, SMTP 5xx)
	FailServer      = "server_error" // the other side failed while handling it (HTTP 5xx)
	FailRedirect    = "redirect"     // the other side answered with a redirect, not followed
	FailOther       = "failed"       // anything else
)

// HTTPFailure is a refusal by an HTTP server: its status, and the error code a Forewarn
// peer gave in its answer, if any. Its text is Text.
type HTTPFailure struct {
	Status int
	Code   string // a Forewarn error code from the answer's body, or ""
	Field  string // the field the peer named, or ""
	Text   string
}

func (e *HTTPFailure) Error() string { return e.Text }

// FailureOf classifies err: a failure code and, when the other side named one, the field.
func FailureOf(err error) (code, field string) {
	var fe *Error
	var hf *HTTPFailure
	var tp *textproto.Error
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	switch {
	case err == nil:
		return "", ""
	case errors.As(err, &hf):
		switch {
		case hf.Code != "":
			return hf.Code, hf.Field
		case hf.Status >= 300 && hf.Status < 400:
			return FailRedirect, ""
		case hf.Status == 401 || hf.Status == 403:
			return FailAuth, ""
		case hf.Status == 429 || hf.Status == 503:
			return FailDeferred, ""
		case hf.Status >= 500:
			return FailServer, ""
		}
		return FailRefused, ""
	case errors.As(err, &fe):
		return fe.Code, fe.Field
	case errors.As(err, &tp):
		switch {
		case tp.Code == 530 || tp.Code == 535 || tp.Code == 534:
			return FailAuth, ""
		case tp.Code >= 400 && tp.Code < 500:
			return FailDeferred, ""
		}
		return FailRefused, ""
	case errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &record):
		return FailTLS, ""
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return FailTimeout, ""
	case errors.As(err, &dns), errors.As(err, &op):
		return FailUnreachable, ""
	}
	return FailOther, ""
}

// FailureDetail is err as the node stores a third party's failure: its code, its field
// if any, then its text.
func FailureDetail(err error) string {
	if err == nil {
		return ""
	}
	code, field := FailureOf(err)
	if field != "" {
		return fmt.Sprintf("error=%s field=%s: %s", code, field, err.Error())
	}
	return fmt.Sprintf("error=%s: %s", code, err.Error())
}

var failureRE = regexp.MustCompile(`^error=([a-z_]+)(?: field=(\S+))?: (.*)$`)

// ParseFailure reads a stored failure back: its code, field and the third party's text.
// A failure stored before codes were (or any other text) has no code: text is s.
func ParseFailure(s string) (code, field, text string) {
	if m := failureRE.FindStringSubmatch(s); m != nil {
		return m[1], m[2], m[3]
	}
	return "", "", s
}
