package httpapi

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/match"
)

// schemaTypes names the Go type behind each component schema of the OpenAPI document, so
// the document is derived from the types the handlers really encode and decode.
var schemaTypes = map[string]any{
	"Health":               map[string]string{},
	"Node":                 forewarn.NodeInfo{},
	"Envelope":             map[string]any{},
	"Receipt":              map[string]any{},
	"EnvelopeBatch":        federationBatch{},
	"EnvelopeBatchAnswer":  federationBatchAnswer{},
	"Head":                 map[string]any{},
	"WitnessQuery":         map[string]any{},
	"WitnessAnswer":        app.WitnessAnswer{},
	"PrivateMatchDocument": map[string]any{},
	"PrivateAsk":           privateAsk{},
	"PrivateQuery":         forewarn.PrivateQuery{},
	"PurposePolicy":        forewarn.PurposePolicy{},
	"SharingAgreement":     forewarn.SharingAgreement{},
	"AgreementList":        struct{ Items []forewarn.SharingAgreement }{},
	"PrivateQueryList":     struct{ Items []forewarn.PrivateQuery }{},
	"PrivateLimit":         privateLimit{},
	"PrivateUseList":       struct{ Items []forewarn.PrivatePeerUse }{},
	"Message":              forewarn.Message{},
	"MessageView":          MessageView{},
	"MessagePage":          page[*MessageView]{},
	"RelatedList":          struct{ Items []app.RelatedMessage }{},
	"Ack":                  ackRequest{},
	"DraftCheck":           draftCheck{},
	"DraftHits":            struct{ Items []app.DraftHit }{},
	"AlertPage":            page[*forewarn.Alert]{},
	"Alert":                forewarn.Alert{},
	"AlertAnswer":          AlertAnswer{},
	"Assign":               assignRequest{},
	"Subject":              forewarn.Subject{},
	"SubjectPage":          page[*forewarn.Subject]{},
	"ImportJob":            forewarn.ImportJob{},
	"ImportJobPage":        page[*forewarn.ImportJob]{},
	"SubjectSaved":         subjectSaved{},
	"SubjectDetail":        app.SubjectDetail{},
	"Timeline":             struct{ Events []app.TimelineEvent }{},
	"Network":              app.Network{},
	"Claim":                forewarn.Claim{},
	"ClaimList":            claimList{},
	"Reason":               reasonBody{},
	"Link":                 forewarn.Association{},
	"LinkList":             struct{ Items []forewarn.Association }{},
	"Match":                forewarn.Match{},
	"MatchPage":            page[*forewarn.Match]{},
	"SearchResults":        struct{ Items []app.SearchResult }{},
	"AuditPage":            struct{ Items []forewarn.AuditEntry }{},
	"AuditReport":          app.AuditReport{},
	"Peer":                 forewarn.Peer{},
	"PeerPage":             page[*forewarn.Peer]{},
	"UserPage":             page[*forewarn.User]{},
	"User":                 forewarn.User{},
	"NewUser":              newUser{},
	"UserCreated":          struct{ User forewarn.User }{},
	"NewToken":             newToken{},
	"TokenCreated":         struct{ Token forewarn.APIToken }{},
	"Error":                errorBody{},
	"ForwardRequest":       forwardRequest{},
	"ConsentAnswer":        consentAnswer{},
	"Override":             overrideRequest{},
	"Forward":              forewarn.Forward{},
	"OversightReport":      app.OversightReport{},
	"ReviewPage":           page[*forewarn.Review]{},
	"Review":               forewarn.Review{},
	"KeepRequest":          keepRequest{},
	"EraseRequest":         eraseRequest{},
	"Tombstone":            forewarn.Tombstone{},
	"ForwardList":          struct{ Items []*forewarn.Forward }{},
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the OpenAPI 3 document of the API, built from the route table.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.allRoutes() {
		if rt.internal {
			continue
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		var params []map[string]any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]string{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(rt.Request)}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != "" {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(rt.Response)}}
		}
		errResp := func(code int) map[string]any {
			return map[string]any{"description": http.StatusText(code), "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		}
		responses := map[string]any{itoa(status): ok, "400": errResp(400), "404": errResp(404), "500": errResp(500)}
		if rt.Perm != "" {
			op["security"] = []map[string][]string{{"bearer": {}}, {"session": {}}}
			op["description"] = "Requires the permission " + string(rt.Perm) + ", held by the roles: " + rolesWith(rt.Perm) + "."
			responses["401"] = errResp(401)
			responses["403"] = errResp(403)
		}
		op["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	schemas := map[string]any{}
	for name, v := range schemaTypes {
		schemas[name] = schemaOf(reflect.TypeOf(v), 0)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Forewarn node API",
			"version":     "1",
			"description": "Warnings, requests and their acknowledgements between agencies; subjects, claims, matches and the audit trail of one node. Errors are JSON: {\"error\": {\"code\", \"message\", \"field\", \"rule\"}}. Lists take offset and limit (at most 1000).",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "An API token from 'forewarn token create' or POST /api/v1/tokens"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "forewarn_session"},
			},
		},
	}
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}

func ref(name string) map[string]string {
	return map[string]string{"$ref": "#/components/schemas/" + name}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func operationID(rt route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, p := range strings.Split(strings.Trim(rt.Path, "/"), "/") {
		p = strings.Trim(p, "{}")
		if p == "api" || p == "v1" || p == "" {
			continue
		}
		parts = append(parts, strings.ReplaceAll(strings.ReplaceAll(p, ".", "_"), "-", "_"))
	}
	return strings.Join(parts, "_")
}

func rolesWith(p forewarn.Permission) string {
	var out []string
	for _, r := range forewarn.Roles {
		if r.Can(p) {
			out = append(out, string(r))
		}
	}
	return strings.Join(out, ", ")
}

var (
	timeType        = reflect.TypeOf(time.Time{})
	publicKeyType   = reflect.TypeOf(ed25519.PublicKey{})
	partialDateType = reflect.TypeOf(forewarn.PartialDate{})
	rawJSONType     = reflect.TypeOf(json.RawMessage{})
	explanationType = reflect.TypeOf(match.Explanation{})
)

// schemaOf describes a Go type as a JSON schema, following encoding/json's rules for the
// field names. Depth bounds recursive types.
func schemaOf(t reflect.Type, depth int) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == partialDateType:
		return map[string]any{"type": "string", "nullable": true, "description": "YYYY, YYYY-MM or YYYY-MM-DD"}
	case t == publicKeyType:
		return map[string]any{"type": "string", "description": "ed25519: and the key's 32 bytes in base64, as 'forewarn key show' prints it"}
	case t == rawJSONType:
		return map[string]any{"type": "object"}
	case t == explanationType && depth > 0:
		return map[string]any{"type": "object", "description": "the matcher's explanation: aligned name parts, penalties, attribute checks and notes (a match on a surname only, a title set aside)"}
	}
	if depth > 6 {
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint8:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), depth+1)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), depth+1)}
	case reflect.Struct:
		props := map[string]any{}
		addStructFields(t, props, depth)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func addStructFields(t reflect.Type, props map[string]any, depth int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addStructFields(ft, props, depth)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, depth+1)
	}
}
