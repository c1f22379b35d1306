package forewarn

import (
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"testing"
)

// TestFailureOf: a third party's failure is recorded with what kind of failure it was,
// so a page can say it in its reader's language, and read back with its text apart.
func TestFailureOf(t *testing.T) {
	for _, tt := range []struct {
		err         error
		code, field string
	}{
		{fmt.Errorf("smtp RCPT TO x: %w", &textproto.Error{Code: 550, Msg: "no such user"}), FailRefused, ""},
		{fmt.Errorf("smtp RCPT TO x: %w", &textproto.Error{Code: 451, Msg: "try later"}), FailDeferred, ""},
		{fmt.Errorf("AUTH: %w", &textproto.Error{Code: 535, Msg: "bad credentials"}), FailAuth, ""},
		{&HTTPFailure{Status: 503, Text: "webhook ops answered 503"}, FailDeferred, ""},
		{&HTTPFailure{Status: 500, Text: "webhook ops answered 500"}, FailServer, ""},
		{&HTTPFailure{Status: 404, Text: "webhook ops answered 404"}, FailRefused, ""},
		{&HTTPFailure{Status: 400, Code: EINVALID, Field: "notification.persons", Text: "TR-MIT refused the message: HTTP 400, invalid"}, EINVALID, "notification.persons"},
		{&HTTPFailure{Status: 302, Text: "a redirect"}, FailRedirect, ""},
		{fmt.Errorf("post: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), FailUnreachable, ""},
		{fmt.Errorf("post: %w", &net.DNSError{Err: "no such host", Name: "x.example"}), FailUnreachable, ""},
		{Invalid("to", "required", "name a recipient"), EINVALID, "to"},
		{errors.New("something"), FailOther, ""},
	} {
		code, field := FailureOf(tt.err)
		if code != tt.code || field != tt.field {
			t.Errorf("%v: %s %s, want %s %s", tt.err, code, field, tt.code, tt.field)
		}
		c, f, text := ParseFailure(FailureDetail(tt.err))
		if c != tt.code || f != tt.field || text != tt.err.Error() {
			t.Errorf("%v read back: %q %q %q", tt.err, c, f, text)
		}
	}
	if c, _, text := ParseFailure("connection refused"); c != "" || text != "connection refused" {
		t.Errorf("a failure stored without a code: %q %q", c, text)
	}
}
