package federation

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/forewarn/forewarn"
)

// Where a node countersigns its peers' audit heads, and answers for the heads it kept.
const (
	HeadsPath       = "/federation/v1/heads"
	HeadsQueryPath  = "/federation/v1/heads/query"
	maxWitnessBytes = 8 << 20
)

// SendHead posts a signed audit head to the peer and returns it as the peer countersigned it.
func (c *Client) SendHead(ctx context.Context, peer *forewarn.Peer, head []byte) ([]byte, error) {
	return c.post(ctx, peer, HeadsPath, head, MaxReceiptBytes)
}

// QueryWitness posts a signed witness query to the peer and returns its answer: the heads
// of the asking node's chain it keeps.
func (c *Client) QueryWitness(ctx context.Context, peer *forewarn.Peer, query []byte) ([]byte, error) {
	return c.post(ctx, peer, HeadsQueryPath, query, maxWitnessBytes)
}

// post sends body to path on the peer, following no redirect, and returns an answer of at
// most limit bytes; a refusal is an error naming the status and a known error code only.
func (c *Client) post(ctx context.Context, peer *forewarn.Peer, path string, body []byte, limit int64) ([]byte, error) {
	if err := CheckPeerURL(peer.BaseURL, c.allowInsecure); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", peer.Agency.Code, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", peer.Agency.Code, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, refusal(peer, resp.StatusCode, answer)
	}
	if int64(len(answer)) > limit {
		return nil, fmt.Errorf("%s answered with more than %d bytes", peer.Agency.Code, limit)
	}
	return answer, nil
}
