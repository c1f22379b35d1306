// Package taxii speaks TAXII 2.1 over HTTP: the server a node publishes its collections
// with under /taxii2/ (discovery, API root, collections, objects, manifest, object,
// versions, status), and the client its feeds poll partners' collections with. It maps
// HTTP to app.TAXII and app.FeedClient and imports no other technology package;
// cmd/forewarn mounts it. docs/taxii.md says what it serves and how.
package taxii

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// MediaType is the TAXII 2.1 media type; STIXMediaType the STIX 2.1 one.
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
	// DefaultMaxContentLength is the largest POST body the API root accepts.
	DefaultMaxContentLength = 10 << 20
	// Prefix is where the server is mounted; APIRoot is its one API root.
	Prefix  = "/taxii2/"
	APIRoot = "/taxii2/api/"
)

// TimeLayout is how TAXII timestamps (date_added, the X-TAXII-Date-Added headers) are
// written: UTC with microseconds.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Server serves the node's TAXII collections.
type Server struct {
	TAXII            *app.TAXII
	Logger           *slog.Logger
	Title            string
	Description      string
	Contact          string // who runs the node, for discovery
	MaxContentLength int64
	// ErrorStatus maps an error's code to its HTTP status (httpapi.ErrorStatus).
	ErrorStatus func(error) int
}

// Register mounts the server's routes with handle, in one block.
func (s *Server) Register(handle func(pattern string, h http.Handler)) {
	routes := []struct {
		pattern string
		h       func(http.ResponseWriter, *http.Request, *forewarn.TAXIIToken)
	}{
		{"GET " + Prefix + "{$}", s.discovery},
		{"GET " + APIRoot + "{$}", s.apiRoot},
		{"GET " + APIRoot + "status/{id}/{$}", s.status},
		{"GET " + APIRoot + "collections/{$}", s.collections},
		{"GET " + APIRoot + "collections/{collection}/{$}", s.collection},
		{"GET " + APIRoot + "collections/{collection}/manifest/{$}", s.manifest},
		{"GET " + APIRoot + "collections/{collection}/objects/{$}", s.getObjects},
		{"POST " + APIRoot + "collections/{collection}/objects/{$}", s.addObjects},
		{"GET " + APIRoot + "collections/{collection}/objects/{object}/{$}", s.getObject},
		{"GET " + APIRoot + "collections/{collection}/objects/{object}/versions/{$}", s.versions},
	}
	for _, rt := range routes {
		handle(rt.pattern, s.guard(rt.h))
	}
}

// errorBody is TAXII's error message resource.
type errorBody struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, title string, err error) {
	desc := ""
	if err != nil {
		desc = forewarn.ErrorMessage(err)
		if forewarn.ErrorCode(err) == forewarn.EINTERNAL {
			s.Logger.Error("TAXII request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="forewarn taxii", charset="UTF-8"`)
	}
	writeTAXII(w, status, errorBody{Title: title, Description: desc, HTTPStatus: strconv.Itoa(status)})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := http.StatusInternalServerError
	if s.ErrorStatus != nil {
		st = s.ErrorStatus(err)
	}
	if forewarn.ErrorCode(err) == forewarn.EINVALID {
		st = http.StatusBadRequest
	}
	s.writeError(w, r, st, http.StatusText(st), err)
}

func writeTAXII(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// acceptable reports whether an Accept header admits the TAXII 2.1 media type.
func acceptable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(part), " ", ""))
		if i := strings.Index(mt, ";q="); i >= 0 {
			mt = mt[:i]
		}
		if mt == MediaType || mt == "application/taxii+json" {
			return true
		}
	}
	return false
}

// guard checks the media types and the credentials of every request: 406 for an Accept
// without the TAXII 2.1 type, 415 for a POST of anything else, 401 without a valid token
// (audited as any refused request is).
func (s *Server) guard(h func(http.ResponseWriter, *http.Request, *forewarn.TAXIIToken)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptable(r.Header.Get("Accept")) {
			s.writeError(w, r, http.StatusNotAcceptable, "Not Acceptable", forewarn.Errorf(forewarn.EINVALID, "this server answers %s only; send it in Accept", MediaType))
			return
		}
		if r.Method == http.MethodPost {
			ct := strings.ToLower(strings.ReplaceAll(r.Header.Get("Content-Type"), " ", ""))
			if ct != MediaType {
				s.writeError(w, r, http.StatusUnsupportedMediaType, "Unsupported Media Type", forewarn.Errorf(forewarn.EINVALID, "POST a TAXII envelope as %s, not %q", MediaType, r.Header.Get("Content-Type")))
				return
			}
		}
		user, secret, ok := r.BasicAuth()
		if !ok {
			user = ""
			secret, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				secret = ""
			}
		}
		tok, err := s.TAXII.Authenticate(r.Context(), user, secret)
		if err != nil {
			if forewarn.ErrorCode(err) == forewarn.EUNAUTHORIZED {
				if s.deny(r, user, err) {
					w.Header().Set("Retry-After", "60")
					s.writeError(w, r, http.StatusTooManyRequests, "Too Many Requests", forewarn.Errorf(forewarn.EUNAUTHORIZED, "too many refused requests from your address; wait a minute"))
					return
				}
				s.writeError(w, r, http.StatusUnauthorized, "Unauthorized", err)
				return
			}
			s.fail(w, r, err)
			return
		}
		h(w, r, tok)
	})
}

// refuse records a refused request of a known token in the audit trail.
func (s *Server) refuse(r *http.Request, tok *forewarn.TAXIIToken, cause error) {
	e := &forewarn.AuditEntry{Actor: app.TAXIIActor(tok), Action: "access.denied", ObjectType: "route",
		ObjectID: forewarn.AuditText(r.Method+" "+r.URL.Path, 200), Detail: forewarn.AuditText("TAXII token "+tok.Name+": "+forewarn.ErrorMessage(cause), 1000)}
	if err := s.TAXII.Node.Store.RecordAudit(r.Context(), e); err != nil {
		s.Logger.Error("could not audit a refused TAXII request", "err", err)
	}
}

// deny records a refused request without a valid token: floods are counted, not written
// one by one, and it reports whether the source should now be rate-limited.
func (s *Server) deny(r *http.Request, user string, cause error) (limited bool) {
	src := r.RemoteAddr
	if i := strings.LastIndexByte(src, ':'); i > 0 {
		src = strings.Trim(src[:i], "[]")
	}
	who := "anonymous@" + src
	if user != "" {
		who = "taxii:" + user + "@" + src
	}
	e := &forewarn.AuditEntry{Actor: forewarn.SystemActor(forewarn.AuditText(who, 200)), Action: "access.denied", ObjectType: "route",
		ObjectID: forewarn.AuditText(r.Method+" "+r.URL.Path, 200), Detail: forewarn.AuditText(forewarn.ErrorMessage(cause), 1000)}
	return s.TAXII.Node.Refusals.Record(r.Context(), src, e)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *forewarn.TAXIIToken) {
	root := baseURL(r) + APIRoot
	writeTAXII(w, http.StatusOK, map[string]any{
		"title": s.Title, "description": s.Description, "contact": s.Contact, "default": root, "api_roots": []string{root},
	})
}

func (s *Server) maxContent() int64 {
	if s.MaxContentLength > 0 {
		return s.MaxContentLength
	}
	return DefaultMaxContentLength
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ *forewarn.TAXIIToken) {
	writeTAXII(w, http.StatusOK, map[string]any{
		"title": s.Title, "description": s.Description, "versions": []string{MediaType}, "max_content_length": s.maxContent(),
	})
}

// collectionResource is a collection as TAXII shows it to one token.
type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func resource(c *forewarn.TAXIICollection, tok *forewarn.TAXIIToken) collectionResource {
	return collectionResource{ID: c.ID, Title: c.Title, Description: c.Description, CanRead: true, CanWrite: c.CanWrite && tok.Write, MediaTypes: []string{STIXMediaType}}
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	cs, err := s.TAXII.Collections(r.Context(), tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var out struct {
		Collections []collectionResource `json:"collections,omitempty"`
	}
	for _, c := range cs {
		out.Collections = append(out.Collections, resource(c, tok))
	}
	writeTAXII(w, http.StatusOK, out)
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	c, err := s.TAXII.Collection(r.Context(), tok, r.PathValue("collection"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeTAXII(w, http.StatusOK, resource(c, tok))
}

// query reads the TAXII filters of a request, naming the parameter at fault.
func query(r *http.Request) (app.TAXIIQuery, error) {
	v := r.URL.Query()
	var q app.TAXIIQuery
	list := func(name string) []string {
		var out []string
		for _, s := range v[name] {
			for _, x := range strings.Split(s, ",") {
				if x = strings.TrimSpace(x); x != "" {
					out = append(out, x)
				}
			}
		}
		return out
	}
	if s := v.Get("added_after"); s != "" {
		t, err := app.ParseSTIXTime(s)
		if err != nil {
			return q, forewarn.Invalid("added_after", "timestamp", "added_after %q is not a timestamp like 2016-11-01T03:04:05.000Z", s)
		}
		q.AddedAfter = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, forewarn.Invalid("limit", "positive", "limit %q is not a positive number", s)
		}
		q.Limit = n
	}
	q.Next = v.Get("next")
	q.IDs, q.Types, q.Versions, q.SpecVersions = list("match[id]"), list("match[type]"), list("match[version]"), list("match[spec_version]")
	return q, nil
}

// page answers the objects a query selects, with the X-TAXII-Date-Added headers.
func (s *Server) page(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken, q app.TAXIIQuery) (*app.TAXIIPage, bool) {
	p, err := s.TAXII.Objects(r.Context(), tok, r.PathValue("collection"), q)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if n := len(p.Objects); n > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", p.Objects[0].DateAdded.UTC().Format(TimeLayout))
		w.Header().Set("X-TAXII-Date-Added-Last", p.Objects[n-1].DateAdded.UTC().Format(TimeLayout))
	}
	return p, true
}

// Envelope is TAXII's envelope of objects.
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

func envelope(p *app.TAXIIPage) Envelope {
	env := Envelope{More: p.More, Next: p.Next}
	for _, o := range p.Objects {
		env.Objects = append(env.Objects, o.Object)
	}
	return env
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p, ok := s.page(w, r, tok, q); ok {
		writeTAXII(w, http.StatusOK, envelope(p))
	}
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q.IDs = []string{r.PathValue("object")}
	p, ok := s.page(w, r, tok, q)
	if !ok {
		return
	}
	if len(p.Objects) == 0 {
		s.fail(w, r, forewarn.Errorf(forewarn.ENOTFOUND, "no object %q in this collection for this token", r.PathValue("object")))
		return
	}
	writeTAXII(w, http.StatusOK, envelope(p))
}

// ManifestRecord is one object version in a manifest.
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, ok := s.page(w, r, tok, q)
	if !ok {
		return
	}
	var out struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []ManifestRecord `json:"objects,omitempty"`
	}
	out.More, out.Next = p.More, p.Next
	for _, o := range p.Objects {
		out.Objects = append(out.Objects, ManifestRecord{ID: o.ID, DateAdded: o.DateAdded.UTC().Format(TimeLayout), Version: o.Version,
			MediaType: "application/stix+json;version=" + o.SpecVersion})
	}
	writeTAXII(w, http.StatusOK, out)
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	q, err := query(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q.IDs = []string{r.PathValue("object")}
	if len(q.Versions) == 0 {
		q.Versions = []string{"all"}
	}
	p, ok := s.page(w, r, tok, q)
	if !ok {
		return
	}
	if len(p.Objects) == 0 {
		s.fail(w, r, forewarn.Errorf(forewarn.ENOTFOUND, "no object %q in this collection for this token", r.PathValue("object")))
		return
	}
	var out struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions"`
	}
	out.More, out.Next = p.More, p.Next
	for _, o := range p.Objects {
		out.Versions = append(out.Versions, o.Version)
	}
	writeTAXII(w, http.StatusOK, out)
}

func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	max := s.maxContent()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err := forewarn.Errorf(forewarn.EINVALID, "the body is larger than this API root's max_content_length of %d bytes", max)
		s.refuse(r, tok, err)
		s.writeError(w, r, http.StatusRequestEntityTooLarge, "Request Entity Too Large", err)
		return
	}
	if err != nil {
		s.fail(w, r, forewarn.Errorf(forewarn.EINVALID, "could not read the body: %v", err))
		return
	}
	st, err := s.TAXII.Add(r.Context(), tok, r.PathValue("collection"), body)
	if err != nil {
		if code := forewarn.ErrorCode(err); code == forewarn.EINVALID || code == forewarn.EFORBIDDEN {
			s.refuse(r, tok, err)
		}
		s.fail(w, r, err)
		return
	}
	writeTAXII(w, http.StatusAccepted, st)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, tok *forewarn.TAXIIToken) {
	st, err := s.TAXII.Status(r.Context(), tok, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeTAXII(w, http.StatusOK, st)
}

// FormatTime writes t as TAXII timestamps are written.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }
