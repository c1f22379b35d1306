package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// MaxPageBytes is the largest page the client reads from a partner; a larger one is
// refused as garbage rather than read into memory.
const MaxPageBytes = 64 << 20

// Client polls partners' TAXII 2.1 collections for the node's feeds.
type Client struct {
	HTTP  *http.Client
	Limit int // objects asked per page; 0: the server's default
}

// NewClient returns a client whose every request gives up after timeout.
func NewClient(timeout time.Duration) *Client {
	return &Client{HTTP: &http.Client{Timeout: timeout}, Limit: 100}
}

var _ app.FeedClient = (*Client)(nil)

// ObjectsURL is where a feed's objects are: the API root, the collection, objects/.
func ObjectsURL(f *forewarn.Feed) string {
	return strings.TrimSuffix(f.URL, "/") + "/collections/" + url.PathEscape(f.Collection) + "/objects/"
}

// Poll fetches one page of a feed's collection: what was added after addedAfter (none:
// from the start), continuing from next when it is set. Any answer that is not a TAXII
// 2.1 envelope is an error that says what came back.
func (c *Client) Poll(ctx context.Context, f *forewarn.Feed, addedAfter, next string) (*app.FeedPage, error) {
	q := url.Values{}
	if addedAfter != "" {
		q.Set("added_after", addedAfter)
	}
	if next != "" {
		q.Set("next", next)
	}
	if c.Limit > 0 {
		q.Set("limit", fmt.Sprint(c.Limit))
	}
	u := ObjectsURL(f)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("feed URL %s: %w", u, err)
	}
	req.Header.Set("Accept", MediaType)
	if f.Username != "" {
		req.SetBasicAuth(f.Username, f.Secret)
	} else {
		req.Header.Set("Authorization", "Bearer "+f.Secret)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return nil, fmt.Errorf("%s timed out", u)
		}
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		msg := ""
		if json.Unmarshal(body, &e) == nil && e.Title != "" {
			msg = ": " + strings.TrimSpace(e.Title+" "+e.Description)
		}
		return nil, fmt.Errorf("%s answered %s%s", u, resp.Status, msg)
	}
	if len(body) > MaxPageBytes {
		return nil, fmt.Errorf("%s answered more than %d bytes for one page", u, MaxPageBytes)
	}
	ct := strings.ToLower(strings.ReplaceAll(resp.Header.Get("Content-Type"), " ", ""))
	if !strings.HasPrefix(ct, "application/taxii+json") {
		return nil, fmt.Errorf("%s answered %q, not TAXII 2.1 (%s)", u, resp.Header.Get("Content-Type"), MediaType)
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%s answered garbage, not a TAXII envelope: %v", u, err)
	}
	last := resp.Header.Get("X-TAXII-Date-Added-Last")
	if last != "" {
		if _, err := app.ParseSTIXTime(last); err != nil {
			return nil, fmt.Errorf("%s answered X-TAXII-Date-Added-Last %q, not a timestamp", u, last)
		}
	}
	return &app.FeedPage{Objects: env.Objects, More: env.More, Next: env.Next, DateAddedLast: last}, nil
}
