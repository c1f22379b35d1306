// Package webhook posts notification events to on-call and chat tools: an HTTP POST of
// the JSON event, signed with HMAC-SHA256 over a timestamp and the body, under an
// idempotency key. Verify is what a receiver runs to reject forgeries and replays
// (docs/notifications.md). It implements forewarn.WebhookSender.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// The headers of a webhook POST.
const (
	SignatureHeader   = "Forewarn-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
	IdempotencyHeader = "Idempotency-Key"    // the notification's ID: the same on every retry
	EventHeader       = "Forewarn-Event"     // the event type
)

// DefaultTolerance is how far a signature's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Sender posts events. Now is the wall clock the signature's timestamp is read from
// (never the node's simulated one: receivers compare it with their own).
type Sender struct {
	Client *http.Client
	Now    func() time.Time
}

// NewSender returns a sender with a timeout for each POST.
func NewSender(timeout time.Duration) *Sender {
	return &Sender{Client: &http.Client{Timeout: timeout}, Now: time.Now}
}

// Sign returns the signature header value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// The reasons Verify refuses a request.
var (
	ErrNoSignature  = errors.New("webhook: no valid Forewarn-Signature header")
	ErrBadSignature = errors.New("webhook: the signature does not match the body")
	ErrStale        = errors.New("webhook: the signature's timestamp is outside the tolerance (a replay?)")
)

// Verify checks a signature header against the body and the secret, and that its
// timestamp is within tolerance of now. Receivers also remember idempotency keys to drop
// a retried event they already handled.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

// PostWebhook posts body to w, signed now, under key. Any answer but 2xx is an error
// naming the status, so the worker retries it.
func (s *Sender) PostWebhook(ctx context.Context, w *forewarn.Webhook, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Forewarn-Webhook/1")
	req.Header.Set(IdempotencyHeader, key)
	req.Header.Set(SignatureHeader, Sign(w.Secret, s.Now(), body))
	if t := eventType(body); t != "" {
		req.Header.Set(EventHeader, t)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.Name, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode/100 != 2 {
		return &forewarn.HTTPFailure{Status: resp.StatusCode, Text: fmt.Sprintf("webhook %s answered %s: %s", w.Name, resp.Status, strings.TrimSpace(string(msg)))}
	}
	return nil
}

// eventType reads "type" from the event without decoding the whole body.
func eventType(body []byte) string {
	i := bytes.Index(body, []byte(`"type":"`))
	if i < 0 {
		return ""
	}
	rest := body[i+8:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 40 {
		return ""
	}
	return string(rest[:j])
}
