package federation

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestDeliverFollowsNoRedirect: a peer answering with a redirect gets no second post, to
// the redirect's target or anywhere, and the error names the status, not what the peer
// wrote.
func TestDeliverFollowsNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Write([]byte("stolen"))
	}))
	defer target.Close()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", target.URL+"/collect")
			w.WriteHeader(code)
			w.Write([]byte(`{"error":{"code":"<script>","message":"PARTNER TEXT"}}`))
		}))
		c, err := NewClient(nil, false, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Deliver(context.Background(), &forewarn.Peer{Agency: forewarn.Agency{Code: "FR-DGSI"}, BaseURL: peer.URL}, []byte(`{}`))
		peer.Close()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", code)) || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("HTTP %d: err = %v, want a failed delivery naming the redirect", code, err)
		}
		if err != nil && (strings.Contains(err.Error(), "PARTNER") || strings.Contains(err.Error(), "<script>")) {
			t.Errorf("HTTP %d: the peer's text reached the error: %v", code, err)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the envelope was posted %d times to where the peer redirected", n)
	}
}

// TestDeliverRefusalIsShort: a refusal's error carries the status and a known code only.
func TestDeliverRefusalIsShort(t *testing.T) {
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"code":"forbidden","message":"` + strings.Repeat("PARTNER TEXT ", 100) + `"}}`))
	}))
	defer peer.Close()
	c, _ := NewClient(nil, false, 5*time.Second)
	_, err := c.Deliver(context.Background(), &forewarn.Peer{Agency: forewarn.Agency{Code: "FR-DGSI"}, BaseURL: peer.URL}, []byte(`{}`))
	if err == nil || err.Error() != "FR-DGSI refused the message: HTTP 403, forbidden" {
		t.Fatalf("err = %v", err)
	}
}
