package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/internal/limits"
)

// peakRSS returns the process's peak resident set size in bytes (VmHWM), and resetPeakRSS
// starts a new peak from the current size.
func peakRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// hostilePost sends body to the node's federation endpoint, chunked (no Content-Length)
// unless sized, and returns the status.
func hostilePost(client *http.Client, url string, body []byte, sized bool) (int, error) {
	var r io.Reader = bytes.NewReader(body)
	if !sized {
		r = io.MultiReader(r) // hides the length: the node must read to find out
	}
	req, _ := http.NewRequest(http.MethodPost, url+federation.MessagesPath, r)
	req.Header.Set("Content-Type", federation.ContentType)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkHostileBody measures what one hostile 4 MB body costs the node before it is
// refused, sent with its length and sent chunked, and, as the worst case under the limit, a
// 1 MiB body naming a pinned peer, which is parsed before its signature fails. CPU is the
// whole process's, so each body is also sent to a bare server on loopback that refuses
// without reading anything: node-cpu-ms/op is the difference, what the node itself spent
// (cpu-ms/op is the total, client included). The limit in issue 13 is 5 ms for 4 MB.
func BenchmarkHostileBody(b *testing.B) {
	_, fr := benchPair(b, "")
	client := &http.Client{}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "refused", http.StatusBadRequest)
	}))
	defer bare.Close()
	for _, bc := range []struct {
		name   string
		body   []byte
		sized  bool
		status int
	}{
		{"4MB-sized", hostileBody(agencyTR.Code, 4<<20), true, http.StatusBadRequest},
		{"4MB-chunked", hostileBody(agencyTR.Code, 4<<20), false, http.StatusBadRequest},
		{"4MB-stranger-chunked", hostileBody("XX-EVIL", 4<<20), false, http.StatusBadRequest},
		{"1MiB-pinned-peer", hostileBody(agencyTR.Code, 1<<20-100), true, http.StatusBadRequest},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var node, base time.Duration
			for b.Loop() {
				t0 := limits.ProcessCPU()
				st, err := hostilePost(client, fr.url, bc.body, bc.sized)
				if err != nil || st == http.StatusOK {
					b.Fatalf("hostile body answered %d, %v", st, err)
				}
				t1 := limits.ProcessCPU()
				hostilePost(client, bare.URL, bc.body, bc.sized)
				node, base = node+t1-t0, base+limits.ProcessCPU()-t1
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
			b.ReportMetric(ms(node), "cpu-ms/op")
			b.ReportMetric(ms(node-base), "node-cpu-ms/op")
		})
	}
}

// BenchmarkHostileFlood sends 100 hostile 4 MB bodies at once, chunked, naming a pinned
// peer, and reports the process's peak RSS while the node refuses them (peak-MB; the
// limit in issue 13 is 200 MB, and the figure includes both nodes and the client).
func BenchmarkHostileFlood(b *testing.B) {
	_, fr := benchPair(b, "")
	body := hostileBody(agencyTR.Code, 4<<20)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 100}}
	var peak int64
	for b.Loop() {
		resetPeakRSS()
		var wg sync.WaitGroup
		codes := make(chan int, 100)
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, _ := hostilePost(client, fr.url, body, false)
				codes <- st
			}()
		}
		wg.Wait()
		close(codes)
		seen := map[int]int{}
		for c := range codes {
			seen[c]++
		}
		if seen[http.StatusOK] > 0 {
			b.Fatalf("a hostile body was accepted: %v", seen)
		}
		peak = max(peak, peakRSS())
		b.Logf("answers: %v", fmt.Sprint(seen))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}
