package envelope

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// A batch written by AppendBatch is read back by ParseBatch envelope for envelope, byte
// for byte, whatever spacing the envelopes carry.
func TestBatchRoundTrip(t *testing.T) {
	envs := [][]byte{[]byte(`{"v":1,"message":{"from":"TR-MIT"}}`), []byte("{ \"v\" : 1 ,\n \"x\":\"<&>\" }"), []byte(`[]`)}
	got, err := ParseBatch(AppendBatch(nil, envs), MaxBatchItems)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(envs) {
		t.Fatalf("%d envelopes, want %d", len(got), len(envs))
	}
	for i := range envs {
		if !bytes.Equal(got[i], envs[i]) {
			t.Errorf("envelope %d: %q, want %q", i, got[i], envs[i])
		}
	}
}

func TestParseBatchRefuses(t *testing.T) {
	cases := []struct{ body, reason string }{
		{``, "malformed"},
		{`[]`, "malformed"},
		{`{"envelopes":[]}`, "no envelopes"},
		{`{}`, "no envelopes"},
		{`{"envelopes":{}}`, "not an array"},
		{`{"envelopes":[{}],"envelopes":[{}]}`, "twice"},
		{`{"envelopes":[{}]} {}`, "after the batch"},
		{`{"envelopes":[{]}`, "malformed"},
		{`{"envelopes":[{},{},{}]}`, "more than 2"},
	}
	for _, tc := range cases {
		_, err := ParseBatch([]byte(tc.body), 2)
		if forewarn.ErrorCode(err) != forewarn.EINVALID || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v, want EINVALID naming %q", tc.body, err, tc.reason)
		}
	}
}

// An answer keeps each receipt byte for byte, and one result of each kind is required.
func TestBatchAnswerRoundTrip(t *testing.T) {
	receipt := json.RawMessage(`{"receipt":{"message_id":"a<b"},"v":1}`)
	results := []BatchResult{{Receipt: receipt}, {Status: 401, Error: json.RawMessage(`{"code":"unauthorized","message":"no"}`)}}
	for _, inFlight := range []int{0, 64} {
		body := AppendBatchAnswer(nil, results, inFlight)
		got, k, err := ParseBatchAnswer(body, 2)
		if err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if !bytes.Equal(got[0].Receipt, receipt) || got[1].Status != 401 || !bytes.Contains(got[1].Error, []byte("unauthorized")) || k != inFlight {
			t.Fatalf("read back %+v, in flight %d, from %s", got, k, body)
		}
		if (inFlight == 0) == bytes.Contains(body, []byte("in_flight")) {
			t.Errorf("in flight %d written as %s", inFlight, body)
		}
	}
	for _, bad := range []string{`{"results":[{}]}`, `{"results":[{"receipt":{},"status":400}]}`, `{"results":[]}`, `{`} {
		if _, _, err := ParseBatchAnswer([]byte(bad), 1); err == nil {
			t.Errorf("%s was read as an answer to a batch of one", bad)
		}
	}
	// What a recipient says it takes in flight is advice: one that is no count is ignored,
	// and the receipts still stand.
	for _, odd := range []string{`-3`, `"64"`, `1.5`, `null`, `99999999999999999999`} {
		got, k, err := ParseBatchAnswer([]byte(`{"in_flight":`+odd+`,"results":[{"receipt":{}}]}`), 1)
		if err != nil || len(got) != 1 || k != 0 {
			t.Errorf("in_flight %s: %d results, in flight %d, %v; want the receipt, and 0", odd, len(got), k, err)
		}
	}
}

// FuzzParseBatch: whatever the body, ParseBatch never panics, and what it accepts is 1 to
// the limit of valid JSON values, each found verbatim in the body, which AppendBatch writes
// back to a body that reads the same.
func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(`{"envelopes":[{"v":1},{"v":2}]}`))
	f.Add([]byte(`{"x":[1,2],"envelopes":[ {"a" : "b"} ]}`))
	f.Add([]byte(`{"envelopes":[{}],"envelopes":[]}`))
	f.Add([]byte(`{"envelopes":[1,2,3,4,5]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := ParseBatch(body, 4)
		if err != nil {
			if forewarn.ErrorCode(err) != forewarn.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if len(items) < 1 || len(items) > 4 {
			t.Fatalf("%d items accepted, want 1 to 4", len(items))
		}
		envs := make([][]byte, len(items))
		for i, it := range items {
			if !json.Valid(it) || !bytes.Contains(body, it) {
				t.Fatalf("item %q is not valid JSON found verbatim in the body", it)
			}
			envs[i] = it
		}
		again, err := ParseBatch(AppendBatch(nil, envs), 4)
		if err != nil || len(again) != len(items) {
			t.Fatalf("written back, read %d items (%v), want %d", len(again), err, len(items))
		}
		for i := range items {
			if !bytes.Equal(again[i], items[i]) {
				t.Fatalf("item %d changed when written back: %q, %q", i, items[i], again[i])
			}
		}
	})
}

// A batch of envelopes as nodes seal them is read in place (splitBatch) into what the
// general reading gives, envelope for envelope, and refused past the limit as it is.
func TestSealedBatchReadInPlace(t *testing.T) {
	var envs [][]byte
	for range 3 {
		wire, err := Seal(sampleMessage(), turkey)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, wire)
	}
	body := AppendBatch(nil, envs)
	items, ok := splitBatch(body, MaxBatchItems)
	if !ok {
		t.Fatal("a batch of sealed envelopes was not read in place")
	}
	if len(items) != len(envs) {
		t.Fatalf("%d envelopes, want %d", len(items), len(envs))
	}
	for i := range envs {
		if !bytes.Equal(items[i], envs[i]) {
			t.Errorf("envelope %d: %q, want %q", i, items[i], envs[i])
		}
		if _, _, err := OpenDigest(items[i], keys, 0); err != nil {
			t.Errorf("envelope %d read in place does not open: %v", i, err)
		}
	}
	if _, err := ParseBatch(body, 2); err == nil || !strings.Contains(err.Error(), "more than 2") {
		t.Errorf("a sealed batch over the limit: %v, want refused as more than 2", err)
	}
	// Anything else is read in full: spacing, another member, a value that is no object.
	for _, other := range []string{
		strings.Replace(string(body), `[`, `[ `, 1),
		`{"envelopes":[{"v":1},[]]}`,
		`{"envelopes":[{"v":1}],"x":1}`,
		`{"envelopes":[{"b":1,"a":2}]}`,
	} {
		if _, ok := splitBatch([]byte(other), MaxBatchItems); ok {
			t.Errorf("%s was read in place", other)
		}
	}
}

// BenchmarkParseBatch measures splitting a batch of 8 sealed envelopes.
func BenchmarkParseBatch(b *testing.B) {
	var envs [][]byte
	for range 8 {
		wire, err := Seal(sampleMessage(), turkey)
		if err != nil {
			b.Fatal(err)
		}
		envs = append(envs, wire)
	}
	body := AppendBatch(nil, envs)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBatch(body, MaxBatchItems); err != nil {
			b.Fatal(err)
		}
	}
}
