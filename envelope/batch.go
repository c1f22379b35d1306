package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/forewarn/forewarn"
)

// MaxBatchItems bounds how many envelopes one batched delivery carries
// (docs/envelope.md, "Batches").
const MaxBatchItems = 64

// BatchResult is the answer to one envelope of a batch, in the batch's order: its signed
// receipt, verbatim, or the refusal the single endpoint would have answered: its HTTP
// status and its error object.
type BatchResult struct {
	Receipt json.RawMessage `json:"receipt,omitempty"`
	Status  int             `json:"status,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

// AppendBatch appends the body of a batched delivery of envelopes to dst:
// {"envelopes":[…]}, each envelope embedded byte for byte as it would be posted alone.
func AppendBatch(dst []byte, envelopes [][]byte) []byte {
	dst = append(dst, `{"envelopes":[`...)
	for i, e := range envelopes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, e...)
	}
	return append(dst, "]}"...)
}

// AppendBatchAnswer appends the answer to a batch to dst: {"results":[…]}, each receipt
// embedded byte for byte as the single endpoint answers it, and, when inFlight is above
// zero, "in_flight": how many deliveries from one sender the recipient gains from having
// in flight at once (docs/envelope.md, "Batches").
func AppendBatchAnswer(dst []byte, results []BatchResult, inFlight int) []byte {
	dst = append(dst, '{')
	if inFlight > 0 {
		dst = strconv.AppendInt(append(dst, `"in_flight":`...), int64(inFlight), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"results":[`...)
	for i, r := range results {
		if i > 0 {
			dst = append(dst, ',')
		}
		if r.Receipt != nil {
			dst = append(dst, `{"receipt":`...)
			dst = append(append(dst, r.Receipt...), '}')
			continue
		}
		dst = strconv.AppendInt(append(dst, `{"status":`...), int64(r.Status), 10)
		dst = append(append(append(dst, `,"error":`...), r.Error...), '}')
	}
	return append(dst, "]}"...)
}

// ParseBatch reads the body of a batched delivery and returns its envelopes, each exactly
// the bytes the sender embedded, so each is verified as the single endpoint would verify
// it. The body is one object whose member "envelopes" is an array of 1 to maxItems JSON
// values; other members are ignored (a later version may add some). Anything else is
// EINVALID, and more than maxItems is refused before the rest is read. The envelopes
// returned may be body's own bytes (a batch as AppendBatch writes it is split in place):
// the caller keeps body unchanged while it uses them.
func ParseBatch(body []byte, maxItems int) ([]json.RawMessage, error) {
	if items, ok := splitBatch(body, maxItems); ok {
		return items, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	malformed := func(err error) error {
		return forewarn.Errorf(forewarn.EINVALID, "malformed batch JSON: %v", err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, malformed(err)
	}
	var items []json.RawMessage
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		name, _ := tok.(string)
		if name != "envelopes" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, malformed(err)
			}
			continue
		}
		if seen {
			return nil, forewarn.Errorf(forewarn.EINVALID, "the batch names envelopes twice")
		}
		seen = true
		if err := expectDelim(dec, '['); err != nil {
			return nil, malformed(errors.New("envelopes is not an array"))
		}
		for dec.More() {
			if len(items) == maxItems {
				return nil, forewarn.Errorf(forewarn.EINVALID, "the batch holds more than %d envelopes; the limit is %d", maxItems, maxItems)
			}
			var item json.RawMessage
			if err := dec.Decode(&item); err != nil {
				return nil, malformed(err)
			}
			items = append(items, item)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, malformed(err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed(errors.New("data after the batch object"))
	}
	if len(items) == 0 {
		return nil, forewarn.Errorf(forewarn.EINVALID, "the batch holds no envelopes (envelopes: an array of 1 to %d)", maxItems)
	}
	return items, nil
}

// ParseBatchAnswer reads a peer's answer to a batch of n envelopes: exactly n results,
// each a receipt or a status with its error, and the deliveries in flight the peer says
// it gains from (0 when it says nothing). An "in_flight" that is not a whole number from
// 0 up is taken as saying nothing: it is advice, and the receipts stand without it.
func ParseBatchAnswer(body []byte, n int) (results []BatchResult, inFlight int, err error) {
	var a struct {
		Results  []BatchResult   `json:"results"`
		InFlight json.RawMessage `json:"in_flight"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, 0, forewarn.Errorf(forewarn.EINVALID, "malformed answer to a batch: %v", err)
	}
	if len(a.Results) != n {
		return nil, 0, forewarn.Errorf(forewarn.EINVALID, "the answer to a batch of %d holds %d results", n, len(a.Results))
	}
	for i, r := range a.Results {
		if (r.Receipt == nil) == (r.Status == 0) {
			return nil, 0, forewarn.Errorf(forewarn.EINVALID, "result %d of the answer to a batch holds neither a receipt nor a status, or both", i)
		}
	}
	if k, err := strconv.Atoi(string(a.InFlight)); err == nil && k > 0 {
		inFlight = k
	}
	return a.Results, inFlight, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return errors.New("expected " + string(want))
	}
	return nil
}

// splitBatch reads a batch as AppendBatch writes it from envelopes as nodes seal them
// (canonical objects), returning each envelope in place in body, without the copies and
// token-by-token decoding of ParseBatch's general reading. ok is false for any other
// batch, well-formed or not, which ParseBatch then reads (and refuses) in full.
func splitBatch(body []byte, maxItems int) (items []json.RawMessage, ok bool) {
	const head, tail = `{"envelopes":[`, `]}`
	if len(body) <= len(head)+len(tail) || string(body[:len(head)]) != head || string(body[len(body)-len(tail):]) != tail || !utf8.Valid(body) {
		return nil, false
	}
	p := parser{data: body[:len(body)-len(tail)], i: len(head), canon: true}
	for {
		if len(items) == maxItems || p.i >= len(p.data) || p.data[p.i] != '{' {
			return nil, false
		}
		start := p.i
		if p.skip(0, false) != nil {
			return nil, false
		}
		items = append(items, p.data[start:p.i:p.i])
		if p.i == len(p.data) {
			return items, true
		}
		if p.data[p.i] != ',' {
			return nil, false
		}
		p.i++
	}
}
