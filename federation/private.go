package federation

import (
	"context"

	"github.com/forewarn/forewarn"
)

// PrivateMatchPath is where a node answers private "do you hold?" queries and takes
// reports of their hits (docs/private-match.md).
const PrivateMatchPath = "/federation/v1/private-match"

// maxPrivateAnswerBytes bounds a private answer: it carries the holder's set (8 bytes a
// key), so it is larger than any other answer.
const maxPrivateAnswerBytes = 256 << 20

// PrivateMatch posts a signed private_match document to the peer and returns its answer.
func (c *Client) PrivateMatch(ctx context.Context, peer *forewarn.Peer, doc []byte) ([]byte, error) {
	return c.post(ctx, peer, PrivateMatchPath, doc, maxPrivateAnswerBytes)
}
