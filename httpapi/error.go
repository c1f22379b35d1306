package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// errorStatus maps each error code to its one HTTP status.
var errorStatus = map[string]int{
	forewarn.EINVALID:      http.StatusBadRequest,
	forewarn.ENOTFOUND:     http.StatusNotFound,
	forewarn.ECONFLICT:     http.StatusConflict,
	forewarn.EUNAUTHORIZED: http.StatusUnauthorized,
	forewarn.EFORBIDDEN:    http.StatusForbidden,
	forewarn.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for err's code.
func ErrorStatus(err error) int {
	if st, ok := errorStatus[forewarn.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON every API error is written as: a stable code and a clear message,
// and for validation errors the field and rule.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
		Rule    string `json:"rule,omitempty"`
		// the codes the field takes, for a rule that limits it to a set (enum)
		Values []string `json:"values,omitempty"`
	} `json:"error"`
}

// writeError writes err as JSON; internal detail goes to the log, not to the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var often *app.RefusedTooOften
	if errors.As(err, &often) {
		s.writeRateLimited(w)
		return
	}
	code := forewarn.ErrorCode(err)
	if code == forewarn.EINTERNAL {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = forewarn.ErrorMessage(err)
	if fe, ok := err.(*forewarn.Error); ok {
		body.Error.Field, body.Error.Rule, body.Error.Values = fe.Field, fe.Rule, fe.Values
	}
	writeJSON(w, ErrorStatus(err), body)
}

// writeJSON answers v as indented JSON, with its length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	e := jsonEncoders.Get().(*jsonEncoder)
	defer e.put()
	err := e.enc.Encode(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err == nil {
		w.Header().Set("Content-Length", strconv.Itoa(e.buf.Len()))
	}
	w.WriteHeader(status)
	if err == nil {
		w.Write(e.buf.Bytes())
	}
}

// jsonEncoder is an indenting encoder with the buffer it encodes into. Every answer is
// encoded whole before it is written, as json.Encoder does with an indent; reusing one
// saves each answer its two buffers, grown to the answer's size: a send's answer was 17
// of the 23 MB the API part of 3,000 sends allocated (BenchmarkDeliveryAPI), the rest
// being the send's own.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetIndent("", "  ")
	return e
}}

// maxPooledJSON is the largest buffer kept for the next answer: a long list's is let go.
const maxPooledJSON = 64 << 10

func (e *jsonEncoder) put() {
	if e.buf.Cap() > maxPooledJSON {
		return
	}
	e.buf.Reset()
	jsonEncoders.Put(e)
}

// writeRateLimited tells an address refused too often lately to wait (429).
func (s *Server) writeRateLimited(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(s.Node.Refusals.Interval.Seconds())))
	var body errorBody
	body.Error.Code, body.Error.Message = "rate_limited", "too many refused requests from your address; wait a minute"
	writeJSON(w, http.StatusTooManyRequests, body)
}
