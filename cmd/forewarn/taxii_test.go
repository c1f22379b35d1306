package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/taxii"
)

// taxiiClient talks to a node's TAXII server as a TAXII client would.
type taxiiClient struct {
	t      *testing.T
	base   string // the node's URL
	secret string
	user   string // HTTP Basic user; empty: bearer
}

type taxiiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (c *taxiiClient) do(method, path string, body []byte, header map[string]string) taxiiAnswer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	if body != nil {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	switch {
	case c.user != "":
		req.SetBasicAuth(c.user, c.secret)
	case c.secret != "":
		req.Header.Set("Authorization", "Bearer "+c.secret)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return taxiiAnswer{resp.StatusCode, resp.Header, b}
}

// get fetches path and decodes its TAXII answer into v, insisting on 200 and the media type.
func (c *taxiiClient) get(path string, v any) taxiiAnswer {
	c.t.Helper()
	a := c.do(http.MethodGet, path, nil, nil)
	if a.status != http.StatusOK {
		c.t.Fatalf("GET %s = %d %s", path, a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != taxii.MediaType {
		c.t.Fatalf("GET %s Content-Type = %q", path, ct)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		c.t.Fatalf("GET %s: %v in %s", path, err, a.body)
	}
	return a
}

// medallionCollection is a collection of medallion's default data.
type medallionCollection struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	CanRead     bool              `json:"can_read"`
	CanWrite    bool              `json:"can_write"`
	Objects     []json.RawMessage `json:"objects"`
	Manifest    []struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	} `json:"manifest"`
}

type medallionRoot struct {
	Information struct {
		Title string `json:"title"`
	} `json:"information"`
	Collections []medallionCollection `json:"collections"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// objectKey is an object version: its ID and its modified (or created) time.
func objectKey(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var h struct{ ID, Created, Modified string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	v := h.Modified
	if v == "" {
		v = h.Created
	}
	return h.ID + "@" + v
}

func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// loadMedallion loads medallion's default data (the trustgroup1 API root) into the node's
// collections, with the date each object was added as medallion's manifest gives it, and
// returns a token scoped to its readable collections.
func loadMedallion(t *testing.T, rt *liveNode) (medallionRoot, string) {
	t.Helper()
	ctx := context.Background()
	var data map[string]json.RawMessage
	readJSON(t, testdata.Path(t, "taxii", "medallion_default_data.json"), &data)
	var root medallionRoot
	if err := json.Unmarshal(data["trustgroup1"], &root); err != nil {
		t.Fatal(err)
	}
	admin := forewarn.SystemActor("test")
	var readable []string
	for _, mc := range root.Collections {
		c := &forewarn.TAXIICollection{ID: mc.ID, Title: mc.Title, Description: mc.Description, CanWrite: mc.CanWrite}
		if err := rt.node.Store.CreateCollection(ctx, admin, c); err != nil {
			t.Fatalf("collection %s: %v", mc.ID, err)
		}
		if mc.CanRead {
			readable = append(readable, mc.ID)
		}
		var objs []*forewarn.STIXObject
		for _, raw := range mc.Objects {
			key := objectKey(t, raw)
			var o *forewarn.STIXObject
			for _, m := range mc.Manifest {
				if m.ID+"@"+m.Version == key {
					added, err := time.Parse(time.RFC3339Nano, m.DateAdded)
					if err != nil {
						t.Fatal(err)
					}
					var h struct{ Type string }
					json.Unmarshal(raw, &h)
					o = &forewarn.STIXObject{Collection: mc.ID, ID: m.ID, Type: h.Type, Version: m.Version, DateAdded: added,
						SpecVersion: strings.TrimPrefix(m.MediaType, "application/stix+json;version="), Marks: forewarn.HandlingMarks{TLP: forewarn.TLPClear}, Object: raw}
				}
			}
			if o == nil {
				t.Fatalf("object %s is not in medallion's manifest", key)
			}
			objs = append(objs, o)
		}
		if len(objs) > 0 {
			if n, err := rt.node.Store.AddSTIXObjects(ctx, admin, objs, nil); err != nil || n != len(objs) {
				t.Fatalf("load %s: %d, %v", mc.ID, n, err)
			}
		}
	}
	secret, _, err := rt.taxii.NewTAXIIToken(ctx, admin, "dgsi", agencyFR.Code, readable, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	return root, secret
}

// TestTAXIIConformance loads medallion's default data into a node's collections and reads
// it back as a TAXII 2.1 client would, over real HTTP on loopback: every endpoint, the
// same objects, pagination with limit and next, the filters, the X-TAXII-Date-Added
// headers, the media types, both kinds of credentials, and the refusals.
func TestTAXIIConformance(t *testing.T) {
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyTR.Code)
	root, secret := loadMedallion(t, rt)
	cl := &taxiiClient{t: t, base: rt.url, secret: secret}
	dir := testdata.Path(t, "taxii", "taxii2client_v21_responses")

	// Discovery and the API root: the shapes taxii2client reads.
	var disc, wantDisc map[string]any
	cl.get("/taxii2/", &disc)
	readJSON(t, dir+"/DISCOVERY_RESPONSE.json", &wantDisc)
	for k := range wantDisc {
		if _, ok := disc[k]; !ok {
			t.Errorf("discovery lacks %q: %v", k, disc)
		}
	}
	if disc["default"] != rt.url+"/taxii2/api/" {
		t.Errorf("discovery default = %v", disc["default"])
	}
	var apiRoot, wantRoot map[string]any
	cl.get("/taxii2/api/", &apiRoot)
	readJSON(t, dir+"/API_ROOT_RESPONSE.json", &wantRoot)
	if !reflect.DeepEqual(apiRoot["versions"], wantRoot["versions"]) || apiRoot["max_content_length"] == nil {
		t.Errorf("API root = %v, want versions %v", apiRoot, wantRoot["versions"])
	}

	// Collections: the readable ones, each as medallion describes it.
	var colls struct {
		Collections []map[string]any `json:"collections"`
	}
	cl.get("/taxii2/api/collections/", &colls)
	var wantColl map[string]any
	readJSON(t, dir+"/COLLECTION_RESPONSE.json", &wantColl)
	var ids []string
	for _, got := range colls.Collections {
		ids = append(ids, got["id"].(string))
		for k := range wantColl {
			if _, ok := got[k]; !ok {
				t.Errorf("collection %v lacks %q", got["id"], k)
			}
		}
	}
	var wantIDs []string
	var high medallionCollection
	for _, mc := range root.Collections {
		if mc.CanRead {
			wantIDs = append(wantIDs, mc.ID)
		}
		if len(mc.Objects) > 0 {
			high = mc
		}
	}
	sort.Strings(ids)
	sort.Strings(wantIDs)
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("collections = %v, want %v", ids, wantIDs)
	}
	var one map[string]any
	cl.get("/taxii2/api/collections/"+high.ID+"/", &one)
	if one["title"] != high.Title || one["can_read"] != true || one["can_write"] != true {
		t.Errorf("collection = %v", one)
	}

	objectsPath := "/taxii2/api/collections/" + high.ID + "/objects/"
	// Every version comes back, the same objects in date_added order, with the headers.
	var all taxii.Envelope
	a := cl.get(objectsPath+"?match[version]=all", &all)
	if len(all.Objects) != len(high.Objects) || all.More {
		t.Fatalf("all versions: %d objects (more %t), want %d", len(all.Objects), all.More, len(high.Objects))
	}
	// Expected order: date_added, and among equal dates the order they were loaded in.
	var manifest []struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	}
	for _, raw := range high.Objects {
		for _, m := range high.Manifest {
			if m.ID+"@"+m.Version == objectKey(t, raw) {
				manifest = append(manifest, m)
			}
		}
	}
	sort.SliceStable(manifest, func(i, j int) bool { return manifest[i].DateAdded < manifest[j].DateAdded })
	byKey := map[string]json.RawMessage{}
	for _, raw := range high.Objects {
		byKey[objectKey(t, raw)] = raw
	}
	for i, raw := range all.Objects {
		k := objectKey(t, raw)
		if !sameJSON(t, raw, byKey[k]) {
			t.Errorf("object %s came back changed: %s", k, raw)
		}
		if manifest[i].ID+"@"+manifest[i].Version != k {
			t.Errorf("object %d = %s, want %s (date_added order)", i, k, manifest[i].ID+"@"+manifest[i].Version)
		}
	}
	if f, l := a.header.Get("X-TAXII-Date-Added-First"), a.header.Get("X-TAXII-Date-Added-Last"); f != manifest[0].DateAdded || l != manifest[len(manifest)-1].DateAdded {
		t.Errorf("X-TAXII-Date-Added-First/Last = %s / %s, want %s / %s", f, l, manifest[0].DateAdded, manifest[len(manifest)-1].DateAdded)
	}

	// Pagination: limit 3 and next give the same objects in the same order, and each page
	// says its own first and last date_added.
	var paged []json.RawMessage
	next := ""
	pages := 0
	for {
		q := url.Values{"match[version]": {"all"}, "limit": {"3"}}
		if next != "" {
			q.Set("next", next)
		}
		var env taxii.Envelope
		a := cl.get(objectsPath+"?"+q.Encode(), &env)
		pages++
		if len(env.Objects) > 3 || len(env.Objects) == 0 {
			t.Fatalf("page %d holds %d objects with limit 3", pages, len(env.Objects))
		}
		first := manifest[len(paged)].DateAdded
		last := manifest[len(paged)+len(env.Objects)-1].DateAdded
		if a.header.Get("X-TAXII-Date-Added-First") != first || a.header.Get("X-TAXII-Date-Added-Last") != last {
			t.Errorf("page %d headers = %s / %s, want %s / %s", pages, a.header.Get("X-TAXII-Date-Added-First"), a.header.Get("X-TAXII-Date-Added-Last"), first, last)
		}
		paged = append(paged, env.Objects...)
		if !env.More {
			if env.Next != "" {
				t.Errorf("the last page gives next %q", env.Next)
			}
			break
		}
		if env.Next == "" || pages > 10 {
			t.Fatalf("page %d says more but gives next %q", pages, env.Next)
		}
		next = env.Next
	}
	if pages != 3 || len(paged) != len(all.Objects) {
		t.Fatalf("%d pages, %d objects; want 3 pages, %d objects", pages, len(paged), len(all.Objects))
	}
	for i := range paged {
		if objectKey(t, paged[i]) != objectKey(t, all.Objects[i]) {
			t.Errorf("paged object %d = %s, want %s", i, objectKey(t, paged[i]), objectKey(t, all.Objects[i]))
		}
	}

	// Filters.
	count := func(query string) []string {
		t.Helper()
		var env taxii.Envelope
		cl.get(objectsPath+"?"+query, &env)
		var keys []string
		for _, raw := range env.Objects {
			keys = append(keys, objectKey(t, raw))
		}
		return keys
	}
	const ind = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
	const mal = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
	for _, tc := range []struct {
		query string
		want  []string // nil: only the count matters
		n     int
	}{
		{"", nil, 5}, // the last version of each of the five objects
		{"match[version]=all&added_after=2016-12-27T13:49:59.000000Z", nil, 4},
		{"match[version]=all&match[type]=indicator", nil, 4},
		{"match[version]=first&match[id]=" + ind, []string{ind + "@2016-11-03T12:30:59.000Z"}, 1},
		{"match[id]=" + ind, []string{ind + "@2017-01-27T13:49:53.935Z"}, 1},
		{"match[version]=2016-12-25T12:30:59.444Z", []string{ind + "@2016-12-25T12:30:59.444Z"}, 1},
		{"match[version]=all&match[spec_version]=2.0", []string{mal + "@2018-02-23T18:30:00.000Z"}, 1},
		{"match[version]=all&match[type]=indicator,malware&match[id]=" + mal, nil, 2},
	} {
		got := count(tc.query)
		if len(got) != tc.n || (tc.want != nil && !slices.Equal(got, tc.want)) {
			t.Errorf("?%s = %v, want %d %v", tc.query, got, tc.n, tc.want)
		}
	}

	// Manifest: medallion's manifest records, the same dates, versions and media types.
	var man struct {
		More    bool                   `json:"more"`
		Objects []taxii.ManifestRecord `json:"objects"`
	}
	cl.get("/taxii2/api/collections/"+high.ID+"/manifest/?match[version]=all", &man)
	if len(man.Objects) != len(manifest) {
		t.Fatalf("manifest holds %d records, want %d", len(man.Objects), len(manifest))
	}
	for i, r := range man.Objects {
		w := manifest[i]
		if r.ID != w.ID || r.DateAdded != w.DateAdded || r.Version != w.Version || r.MediaType != w.MediaType {
			t.Errorf("manifest[%d] = %+v, want %+v", i, r, w)
		}
	}
	var wantMan map[string]any
	readJSON(t, dir+"/GET_MANIFEST_RESPONSE.json", &wantMan)
	for k := range wantMan["objects"].([]any)[0].(map[string]any) {
		if !strings.Contains(string(mustJSON(t, man.Objects[0])), `"`+k+`"`) {
			t.Errorf("manifest record lacks %q", k)
		}
	}

	// One object (its last version) and its versions.
	var obj taxii.Envelope
	cl.get(objectsPath+ind+"/", &obj)
	if len(obj.Objects) != 1 || objectKey(t, obj.Objects[0]) != ind+"@2017-01-27T13:49:53.935Z" {
		t.Errorf("object = %d objects", len(obj.Objects))
	}
	var vers struct {
		Versions []string `json:"versions"`
	}
	cl.get(objectsPath+ind+"/versions/", &vers)
	if !slices.Equal(vers.Versions, []string{"2016-11-03T12:30:59.000Z", "2016-12-25T12:30:59.444Z", "2017-01-27T13:49:53.935Z"}) {
		t.Errorf("versions = %v", vers.Versions)
	}
	if a := cl.do(http.MethodGet, objectsPath+"indicator--00000000-0000-4000-8000-000000000000/", nil, nil); a.status != http.StatusNotFound {
		t.Errorf("a missing object = %d", a.status)
	}

	// POST to the writable collection, its status, and the object read back.
	var writable string
	for _, mc := range root.Collections {
		if mc.CanRead && mc.CanWrite && len(mc.Objects) == 0 {
			writable = mc.ID
		}
	}
	envBody, err := os.ReadFile(dir + "/STIX_ENVELOPE.json")
	if err != nil {
		t.Fatal(err)
	}
	a = cl.do(http.MethodPost, "/taxii2/api/collections/"+writable+"/objects/", envBody, nil)
	if a.status != http.StatusAccepted {
		t.Fatalf("POST = %d %s", a.status, a.body)
	}
	var st, wantSt map[string]any
	json.Unmarshal(a.body, &st)
	readJSON(t, dir+"/ADD_OBJECTS_RESPONSE.json", &wantSt)
	for k := range wantSt {
		if _, ok := st[k]; !ok {
			t.Errorf("status lacks %q: %s", k, a.body)
		}
	}
	if st["status"] != "complete" || st["success_count"] != 1.0 || st["total_count"] != 1.0 {
		t.Errorf("status = %s", a.body)
	}
	var again map[string]any
	cl.get("/taxii2/api/status/"+st["id"].(string)+"/", &again)
	if again["id"] != st["id"] || again["success_count"] != 1.0 {
		t.Errorf("GET status = %v", again)
	}
	var posted taxii.Envelope
	cl.get("/taxii2/api/collections/"+writable+"/objects/", &posted)
	var sent taxii.Envelope
	json.Unmarshal(envBody, &sent)
	if len(posted.Objects) != 1 || !sameJSON(t, posted.Objects[0], sent.Objects[0]) {
		t.Errorf("posted object read back = %s", posted.Objects)
	}

	// HTTP Basic works as the bearer token does.
	basic := &taxiiClient{t: t, base: rt.url, secret: secret, user: "dgsi"}
	var viaBasic map[string]any
	basic.get("/taxii2/api/collections/"+high.ID+"/", &viaBasic)

	// Refusals: media types, credentials, scope, bad bundles, oversized bodies.
	secretColl := ""
	for _, mc := range root.Collections {
		if !mc.CanRead && !mc.CanWrite {
			secretColl = mc.ID
		}
	}
	readOnly := ""
	for _, mc := range root.Collections {
		if mc.CanRead && !mc.CanWrite {
			readOnly = mc.ID
		}
	}
	invalid := []byte(`{"objects":[{"type":"indicator","id":"indicator--252c7c11-daf2-42bd-843b-be65edca9f62","spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"x","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},{"type":"indicator","id":"indicator--252c7c11-daf2-42bd-843b-be65edca9f63","spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"yesterday","pattern":"x","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}]}`)
	wrongUser := &taxiiClient{t: t, base: rt.url, secret: secret, user: "someone-else"}
	for _, tc := range []struct {
		name   string
		c      *taxiiClient
		method string
		path   string
		body   []byte
		header map[string]string
		status int
		says   string
	}{
		{"Accept JSON", cl, "GET", "/taxii2/api/collections/", nil, map[string]string{"Accept": "application/json"}, http.StatusNotAcceptable, "Accept"},
		{"Accept TAXII 2.0", cl, "GET", "/taxii2/", nil, map[string]string{"Accept": "application/vnd.oasis.taxii+json; version=2.0"}, http.StatusNotAcceptable, ""},
		{"POST JSON", cl, "POST", "/taxii2/api/collections/" + writable + "/objects/", envBody, map[string]string{"Content-Type": "application/json"}, http.StatusUnsupportedMediaType, "POST a TAXII envelope"},
		{"no credentials", &taxiiClient{t: t, base: rt.url}, "GET", "/taxii2/", nil, nil, http.StatusUnauthorized, "TAXII token"},
		{"wrong token", &taxiiClient{t: t, base: rt.url, secret: "fw_nope"}, "GET", "/taxii2/api/", nil, nil, http.StatusUnauthorized, "unknown"},
		{"Basic with another user", wrongUser, "GET", "/taxii2/api/", nil, nil, http.StatusUnauthorized, "unknown"},
		{"collection out of scope", cl, "GET", "/taxii2/api/collections/" + secretColl + "/objects/", nil, nil, http.StatusNotFound, ""},
		{"bad limit", cl, "GET", objectsPath + "?limit=0", nil, nil, http.StatusBadRequest, "limit"},
		{"bad added_after", cl, "GET", objectsPath + "?added_after=yesterday", nil, nil, http.StatusBadRequest, "added_after"},
		{"bad next", cl, "GET", objectsPath + "?next=garbage", nil, nil, http.StatusBadRequest, "next"},
		{"bundle failing validation", cl, "POST", "/taxii2/api/collections/" + writable + "/objects/", invalid, nil, http.StatusBadRequest, "objects[1].modified"},
		{"not writable", cl, "POST", "/taxii2/api/collections/" + readOnly + "/objects/", envBody, nil, http.StatusForbidden, "not writable"},
		{"oversized", cl, "POST", "/taxii2/api/collections/" + writable + "/objects/", bytes.Repeat([]byte(" "), taxii.DefaultMaxContentLength+1), nil, http.StatusRequestEntityTooLarge, "max_content_length"},
	} {
		a := tc.c.do(tc.method, tc.path, tc.body, tc.header)
		if a.status != tc.status || !strings.Contains(string(a.body), tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, a.status, a.body, tc.status, tc.says)
		}
		if a.status == http.StatusUnauthorized && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: 401 without a Basic challenge", tc.name)
		}
		if ct := a.header.Get("Content-Type"); ct != taxii.MediaType {
			t.Errorf("%s: error Content-Type = %q", tc.name, ct)
		}
	}
	// The refused bundle wrote nothing: its valid first object is not there.
	var after taxii.Envelope
	cl.get("/taxii2/api/collections/"+writable+"/objects/?match[version]=all", &after)
	if len(after.Objects) != 1 {
		t.Errorf("a refused bundle left %d objects", len(after.Objects))
	}
	entries, err := rt.node.Store.AuditEntries(context.Background(), forewarn.AuditFilter{Action: "access.denied", ActorID: agencyFR.Code})
	if err != nil || len(entries) < 2 {
		t.Errorf("refused writes audited: %d entries, %v", len(entries), err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTAXIIHandlingMarks: a collection serves an object only to a reader its marks
// allow, a person published to it is a person read (audited) when served, and a
// collection refuses what is above its audience.
func TestTAXIIHandlingMarks(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyTR.Code)
	admin := forewarn.SystemActor("test")
	coll := &forewarn.TAXIICollection{Title: "Releasable to FR-DGSI", Audience: agencyFR.Code}
	clear := &forewarn.TAXIICollection{Title: "TLP:CLEAR", TLP: forewarn.TLPClear}
	for _, col := range []*forewarn.TAXIICollection{coll, clear} {
		if err := rt.node.Store.CreateCollection(ctx, admin, col); err != nil {
			t.Fatal(err)
		}
	}
	s := &forewarn.Subject{Names: []forewarn.Name{{Value: "Omar Ismail Mostefai"}}, BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if err := rt.node.Store.CreateSubject(ctx, admin, s); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.taxii.PublishSubject(ctx, admin, clear.ID, s.ID, forewarn.HandlingMarks{TLP: forewarn.TLPGreen}); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Fatalf("TLP:GREEN into a TLP:CLEAR collection: %v", err)
	}
	if _, err := rt.taxii.PublishSubject(ctx, admin, coll.ID, s.ID, forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{"DE-BFV"}}); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Fatalf("releasable to DE-BFV into FR-DGSI's collection: %v", err)
	}
	o, err := rt.taxii.PublishSubject(ctx, admin, coll.ID, s.ID, forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code, "DE-BFV"}})
	if err != nil {
		t.Fatal(err)
	}
	// The collection is FR-DGSI's; a token for DE-BFV on it still sees nothing of it.
	frSecret, _, err := rt.taxii.NewTAXIIToken(ctx, admin, "dgsi", agencyFR.Code, []string{coll.ID}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	deSecret, _, err := rt.taxii.NewTAXIIToken(ctx, admin, "bfv", "DE-ZZZ", []string{coll.ID}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := "/taxii2/api/collections/" + coll.ID + "/objects/"
	var fr, de taxii.Envelope
	(&taxiiClient{t: t, base: rt.url, secret: frSecret}).get(path, &fr)
	(&taxiiClient{t: t, base: rt.url, secret: deSecret}).get(path, &de)
	if len(fr.Objects) != 1 || objectKey(t, fr.Objects[0]) != o.ID+"@"+o.Version {
		t.Fatalf("FR-DGSI reads %d objects", len(fr.Objects))
	}
	if !strings.Contains(string(fr.Objects[0]), "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421") {
		t.Errorf("the served identity does not carry TLP:AMBER: %s", fr.Objects[0])
	}
	if len(de.Objects) != 0 {
		t.Fatalf("DE-ZZZ, to whom the marks do not release it, reads %d objects", len(de.Objects))
	}
	reads, err := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "subject.read", ObjectID: s.ID, ActorID: agencyFR.Code})
	if err != nil || len(reads) != 1 || !strings.Contains(reads[0].Detail, coll.ID) {
		t.Fatalf("FR-DGSI's read of the person audited: %d entries, %v", len(reads), err)
	}
	if reads, _ := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "subject.read", ActorID: "DE-ZZZ"}); len(reads) != 0 {
		t.Fatal("a read that served nothing was audited as a read of the person")
	}

	// Another agency's content goes on only as its marks allow: what DE-BFV posts under
	// TLP:AMBER is not passed to FR-DGSI (a refusal the egress check audits), what it
	// posts under TLP:GREEN is.
	shared := &forewarn.TAXIICollection{Title: "Shared", CanWrite: true}
	if err := rt.node.Store.CreateCollection(ctx, admin, shared); err != nil {
		t.Fatal(err)
	}
	deWriter, _, err := rt.taxii.NewTAXIIToken(ctx, admin, "bfv-writer", "DE-BFV", []string{shared.ID}, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	frShared, _, err := rt.taxii.NewTAXIIToken(ctx, admin, "dgsi-shared", agencyFR.Code, []string{shared.ID}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	indicator := func(n, marking string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--252c7c11-daf2-42bd-843b-be65edca9f6` + n + `","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' ]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","object_marking_refs":["` + marking + `"]}`
	}
	body := `{"objects":[` + indicator("1", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421") + `,` + indicator("2", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb") + `]}`
	deCl := &taxiiClient{t: t, base: rt.url, secret: deWriter}
	if a := deCl.do(http.MethodPost, "/taxii2/api/collections/"+shared.ID+"/objects/", []byte(body), nil); a.status != http.StatusAccepted {
		t.Fatalf("DE-BFV's POST = %d %s", a.status, a.body)
	}
	var deSees, frSees taxii.Envelope
	deCl.get("/taxii2/api/collections/"+shared.ID+"/objects/", &deSees)
	(&taxiiClient{t: t, base: rt.url, secret: frShared}).get("/taxii2/api/collections/"+shared.ID+"/objects/", &frSees)
	if len(deSees.Objects) != 2 || len(frSees.Objects) != 1 || !strings.HasSuffix(strings.SplitN(objectKey(t, frSees.Objects[0]), "@", 2)[0], "f62") {
		t.Fatalf("DE-BFV reads %d of its own objects, FR-DGSI %d (want only the TLP:GREEN one)", len(deSees.Objects), len(frSees.Objects))
	}
	refused, err := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: app.ActionEgressRefused, ActorID: agencyFR.Code})
	if err != nil || len(refused) != 1 || !strings.Contains(refused[0].Detail, "to=FR-DGSI") || !strings.Contains(refused[0].Detail, "originator=DE-BFV") {
		t.Fatalf("the refused release audited: %+v, %v", refused, err)
	}
}
