// Package federation carries signed envelopes between nodes over HTTP(S): the client side
// of node-to-node delivery, with optional mutual TLS, and the policy that plain HTTP is
// only for loopback unless explicitly allowed. The receiving side is an endpoint of the
// node's HTTP server (httpapi).
package federation

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// MessagesPath is where a node accepts envelopes from its peers.
const MessagesPath = "/federation/v1/messages"

// ContentType is the media type of a signed envelope.
const ContentType = "application/forewarn-envelope+json"

// MaxReceiptBytes bounds a receipt read from a peer.
const MaxReceiptBytes = 64 << 10

// TLSFiles names the PEM files for mutual TLS between nodes.
type TLSFiles struct {
	Cert string // this node's client certificate
	Key  string // its private key
	CA   string // the CA that signs peers' server certificates (empty: system roots)
}

// Client delivers envelopes to peers.
type Client struct {
	http          *http.Client
	allowInsecure bool
}

// NewClient returns a client. With tlsFiles it presents a client certificate and trusts
// the given CA; allowInsecure permits plain http:// to hosts other than loopback.
func NewClient(tlsFiles *TLSFiles, allowInsecure bool, timeout time.Duration) (*Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	if tlsFiles != nil {
		cfg, err := clientTLS(tlsFiles)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	// A redirect is never followed: the envelope goes to the URL pinned for the peer and
	// nowhere else, and a 3xx is a failed delivery.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{http: &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: noRedirect}, allowInsecure: allowInsecure}, nil
}

func clientTLS(f *TLSFiles) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.Cert != "" || f.Key != "" {
		cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("mutual TLS: load client certificate %s / key %s: %w", f.Cert, f.Key, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("mutual TLS: read CA %s: %w", f.CA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mutual TLS: %s holds no PEM certificate", f.CA)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// CheckPeerURL says whether a peer's base URL may be used; the rule is
// forewarn.CheckPeerURL, shared with the API and the CLI.
func CheckPeerURL(raw string, allowInsecure bool) error {
	return forewarn.CheckPeerURL(raw, allowInsecure)
}

// refusal is the error for a peer's non-200 answer. What the peer wrote is its own text:
// it stays out of the error, which the outbox shows, beyond a known error code.
func refusal(peer *forewarn.Peer, status int, body []byte) error {
	var e struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	detail, code, field := "", "", ""
	if json.Unmarshal(body, &e) == nil && knownCodes[e.Error.Code] {
		detail, code = ", "+e.Error.Code, e.Error.Code
		if fieldRE.MatchString(e.Error.Field) {
			field = e.Error.Field
		}
	}
	if status >= 300 && status < 400 {
		detail, code = ", a redirect, which is not followed", ""
	}
	return &forewarn.HTTPFailure{Status: status, Code: code, Field: field, Text: fmt.Sprintf("%s refused the message: HTTP %d%s", peer.Agency.Code, status, detail)}
}

// fieldRE is what a field a peer names may look like to be kept: a path, short.
var fieldRE = regexp.MustCompile(`^[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?){0,6}$`)

// knownCodes are the error codes a peer's refusal may name in this node's outbox.
var knownCodes = map[string]bool{
	forewarn.EINVALID: true, forewarn.ENOTFOUND: true, forewarn.ECONFLICT: true, forewarn.EUNAUTHORIZED: true,
	forewarn.EFORBIDDEN: true, forewarn.EINTERNAL: true, "unavailable": true,
}

// Deliver posts an envelope to the peer and returns its receipt. A refusal by the peer,
// a redirect included, is an error naming the HTTP status and the error code.
func (c *Client) Deliver(ctx context.Context, peer *forewarn.Peer, envelope []byte) ([]byte, error) {
	if err := CheckPeerURL(peer.BaseURL, c.allowInsecure); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer.BaseURL+MessagesPath, bytes.NewReader(envelope))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("deliver to %s: %w", peer.Agency.Code, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReceiptBytes+1))
	if err != nil {
		return nil, fmt.Errorf("deliver to %s: reading the answer: %w", peer.Agency.Code, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, refusal(peer, resp.StatusCode, body)
	}
	if len(body) > MaxReceiptBytes {
		return nil, fmt.Errorf("%s sent a receipt larger than %d bytes", peer.Agency.Code, MaxReceiptBytes)
	}
	return body, nil
}

// BatchPath is where a node accepts several envelopes in one request (docs/envelope.md,
// "Batches").
const BatchPath = MessagesPath + "/batch"

// MaxBatchBytes bounds the body of a batch this client sends. A recipient accepts a batch
// as large as one envelope (1 MiB by default); staying well below leaves room for a
// recipient configured with a smaller limit.
const MaxBatchBytes = 256 << 10

// DeliverBatch posts several envelopes to the peer in one request and returns, in their
// order, each one's receipt or its refusal, an error as Deliver's for that envelope alone,
// and how many deliveries in flight the peer says it gains from (0: it says nothing).
// The error is for the batch as a whole: a connection failure, or the peer's refusal of
// the request (*forewarn.HTTPFailure; 404 or 405 from a peer that takes no batches).
func (c *Client) DeliverBatch(ctx context.Context, peer *forewarn.Peer, envelopes [][]byte) ([][]byte, []error, int, error) {
	if err := CheckPeerURL(peer.BaseURL, c.allowInsecure); err != nil {
		return nil, nil, 0, err
	}
	if len(envelopes) == 0 || len(envelopes) > envelope.MaxBatchItems {
		return nil, nil, 0, fmt.Errorf("a batch holds 1 to %d envelopes, not %d", envelope.MaxBatchItems, len(envelopes))
	}
	size := 0
	for _, e := range envelopes {
		size += len(e) + 1
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer.BaseURL+BatchPath, bytes.NewReader(envelope.AppendBatch(make([]byte, 0, size+16), envelopes)))
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("deliver to %s: %w", peer.Agency.Code, err)
	}
	defer resp.Body.Close()
	limit := int64(len(envelopes))*(MaxReceiptBytes+1024) + 64
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("deliver to %s: reading the answer: %w", peer.Agency.Code, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, 0, refusal(peer, resp.StatusCode, body)
	}
	if int64(len(body)) > limit {
		return nil, nil, 0, fmt.Errorf("%s sent an answer to a batch larger than %d bytes", peer.Agency.Code, limit)
	}
	results, inFlight, err := envelope.ParseBatchAnswer(body, len(envelopes))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("deliver to %s: %w", peer.Agency.Code, err)
	}
	receipts, errs := make([][]byte, len(results)), make([]error, len(results))
	for i, r := range results {
		switch {
		case r.Status != 0:
			errs[i] = refusal(peer, r.Status, append(append([]byte(`{"error":`), r.Error...), '}'))
		case len(r.Receipt) > MaxReceiptBytes:
			errs[i] = fmt.Errorf("%s sent a receipt larger than %d bytes", peer.Agency.Code, MaxReceiptBytes)
		default:
			receipts[i] = r.Receipt
		}
	}
	return receipts, errs, inFlight, nil
}
