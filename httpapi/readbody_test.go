package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/app"
)

// A body's declared length is believed only up to preallocBody before its bytes arrive:
// a sender declaring the whole limit and sending a few bytes costs the node no more than
// that, while an honest body is read whole, and one over the limit is seen as such.
func TestReadBodyTakesNotTheDeclaredLengthOnTrust(t *testing.T) {
	const limit = 1 << 20
	r := httptest.NewRequest("POST", "/federation/v1/batch", strings.NewReader("[]"))
	r.ContentLength = limit
	body, err := readBody(r, limit)
	if err != nil || string(body) != "[]" {
		t.Fatalf("read %q, %v", body, err)
	}
	if c := cap(body); c > 2*preallocBody {
		t.Errorf("a 2-byte body declared as %d bytes took a %d-byte buffer, want at most %d", limit, c, 2*preallocBody)
	}
	whole := strings.Repeat("x", preallocBody*3)
	r = httptest.NewRequest("POST", "/federation/v1/batch", strings.NewReader(whole))
	if body, err = readBody(r, limit); err != nil || string(body) != whole {
		t.Errorf("a %d-byte body read as %d bytes, %v", len(whole), len(body), err)
	}
	r = httptest.NewRequest("POST", "/federation/v1/batch", strings.NewReader(strings.Repeat("x", limit+10)))
	if body, err = readBody(r, limit); err != nil || len(body) != limit+1 {
		t.Errorf("a body over the limit read as %d bytes, want %d (the limit and one), %v", len(body), limit+1, err)
	}
}

// A node receives at once as many envelopes as it tells its peers it gains from in flight,
// so that what a peer has in flight is stored together, not a part of it at a time; the
// bodies being read stay bounded on their own.
func TestReceivesWhatItSaysItTakesInFlight(t *testing.T) {
	if FederationItems < app.GroupedTakesInFlight {
		t.Errorf("FederationItems is %d, below the %d in flight a PostgreSQL node says it gains from", FederationItems, app.GroupedTakesInFlight)
	}
	s := NewServer(nil, nil)
	if cap(s.fedItems) != FederationItems || cap(s.fedReaders) != FederationReaders {
		t.Errorf("a server receives %d envelopes and reads %d bodies at once, want %d and %d", cap(s.fedItems), cap(s.fedReaders), FederationItems, FederationReaders)
	}
}
