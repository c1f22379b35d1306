package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// Validation of incoming STIX 2.1, at run time and without the OASIS JSON schemas (they
// stay test data): the common properties of every object, and the properties of each
// type Forewarn maps or refers to, as STIX 2.1 and the OASIS schemas state them. A
// differential test (validate_test.go) holds this to the OASIS schemas: what they accept
// is accepted, the must-fail examples are refused.

var (
	typeRE       = regexp.MustCompile(`^([a-z][a-z0-9]*)+(-[a-z0-9]+)*-?$`)
	identifierRE = regexp.MustCompile(`^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	timestampRE  = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$`)
	millisRE     = regexp.MustCompile(`T\d{2}:\d{2}:\d{2}\.\d{3,}Z$`)
	propertyRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{2,249}`)
	extKeyRE     = regexp.MustCompile(`^extension-definition--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	customExtRE  = regexp.MustCompile(`^([a-z][a-z0-9]*)+(-[a-z0-9]+)*-ext$`)
	relTypeRE    = regexp.MustCompile(`^[a-z0-9-]+$`)
	selectorRE   = regexp.MustCompile(`^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$`)
)

// scoTypes are the STIX Cyber-observable Objects, which have no created or modified.
var scoTypes = map[string]bool{
	"artifact": true, "autonomous-system": true, "directory": true, "domain-name": true, "email-addr": true,
	"email-message": true, "file": true, "ipv4-addr": true, "ipv6-addr": true, "mac-addr": true, "mutex": true,
	"network-traffic": true, "process": true, "software": true, "url": true, "user-account": true,
	"windows-registry-key": true, "x509-certificate": true,
}

// notReferable are the types a relationship or sighting may not point at.
var notReferable = []string{"relationship", "sighting", "bundle", "marking-definition", "language-content"}

// IdentityContactExtensionID is the OASIS identity contact-information extension, whose
// rules Validate also checks.
const IdentityContactExtensionID = "extension-definition--66e2492a-bbd3-4be6-88f5-cc91a017a498"

func validIdentifier(s string) bool { return identifierRE.MatchString(s) }

// decodeJSON decodes data keeping numbers exact and refusing anything after the value.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// Validate checks a STIX 2.1 bundle: its wrapper, then every object. The error, an
// EINVALID *forewarn.Error, names the JSON path of the first error as its field
// ("objects[3].created") and the object's ID in its message.
func Validate(data []byte) error {
	v, err := decodeJSON(data)
	if err != nil {
		return forewarn.Invalid("$", "json", "not JSON: %v", err)
	}
	return ValidateBundle(v)
}

// ValidateBundle checks a decoded bundle (numbers as json.Number or float64).
func ValidateBundle(v any) error {
	b, ok := v.(map[string]any)
	if !ok {
		return forewarn.Invalid("$", "object", "a STIX bundle is a JSON object")
	}
	if t, _ := b["type"].(string); t != "bundle" {
		return forewarn.Invalid("type", "enum", "a STIX bundle has type \"bundle\", not %s", show(b["type"]))
	}
	id, _ := b["id"].(string)
	if !validIdentifier(id) || !strings.HasPrefix(id, "bundle--") {
		return forewarn.Invalid("id", "identifier", "the bundle's id %s is not bundle--<UUID>", show(b["id"]))
	}
	objs, present := b["objects"]
	if !present {
		return nil // an empty bundle may omit objects
	}
	list, ok := objs.([]any)
	if !ok || len(list) == 0 {
		return forewarn.Invalid("objects", "array", "objects must be a non-empty array")
	}
	for i, o := range list {
		if err := ValidateObject(o, fmt.Sprintf("objects[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func show(v any) string {
	if v == nil {
		return "(missing)"
	}
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return string(b)
}

// checker walks one object, keeping the first error.
type checker struct {
	path string
	id   string
	obj  map[string]any
	err  error
}

func (c *checker) fail(prop, rule, format string, args ...any) {
	if c.err != nil {
		return
	}
	field := c.path
	switch {
	case field == "":
		field = prop
	case prop != "":
		field += "." + prop
	}
	who := c.id
	if who == "" {
		who = "the object"
	}
	c.err = forewarn.Invalid(field, rule, "%s: %s", who, fmt.Sprintf(format, args...))
}

func (c *checker) has(prop string) bool { _, ok := c.obj[prop]; return ok }

func (c *checker) require(props ...string) {
	for _, p := range props {
		if !c.has(p) {
			c.fail(p, "required", "%s is required", p)
		}
	}
}

func (c *checker) str(prop string) (string, bool) {
	v, ok := c.obj[prop]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		c.fail(prop, "string", "%s must be a string, not %s", prop, show(v))
	}
	return s, isStr
}

func (c *checker) timestamp(prop string, millis bool) (time.Time, bool) {
	s, ok := c.str(prop)
	if !ok {
		return time.Time{}, false
	}
	if !timestampRE.MatchString(s) {
		c.fail(prop, "timestamp", "%s %q is not a STIX timestamp (RFC 3339 in UTC, like 2016-05-12T08:17:27.000Z)", prop, s)
		return time.Time{}, false
	}
	if millis && !millisRE.MatchString(s) {
		c.fail(prop, "timestamp_millis", "%s %q must be precise to the millisecond", prop, s)
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, ":60", ":59", 1))
	if err != nil {
		c.fail(prop, "timestamp", "%s %q is not a valid time: %v", prop, s, err)
		return time.Time{}, false
	}
	return t, true
}

// ref checks an identifier property; prefixes, when given, are the types it may name.
func (c *checker) ref(prop string, v any, prefixes ...string) {
	s, ok := v.(string)
	if !ok {
		c.fail(prop, "identifier", "%s must be a STIX identifier, not %s", prop, show(v))
		return
	}
	if !validIdentifier(s) {
		c.fail(prop, "identifier", "%s %q is not a STIX identifier (<type>--<UUID>)", prop, s)
		return
	}
	if len(prefixes) == 0 {
		return
	}
	for _, p := range prefixes {
		if strings.HasPrefix(s, p+"--") {
			return
		}
	}
	c.fail(prop, "identifier_type", "%s %q must name a %s", prop, s, strings.Join(prefixes, " or "))
}

func (c *checker) notRef(prop string, v any) {
	c.ref(prop, v)
	s, _ := v.(string)
	for _, t := range notReferable {
		if strings.HasPrefix(s, t+"--") {
			c.fail(prop, "identifier_type", "%s may not point at a %s", prop, t)
		}
	}
}

func (c *checker) list(prop string) ([]any, bool) {
	v, ok := c.obj[prop]
	if !ok {
		return nil, false
	}
	l, isList := v.([]any)
	if !isList || len(l) == 0 {
		c.fail(prop, "array", "%s must be a non-empty list, not %s", prop, show(v))
		return nil, false
	}
	return l, true
}

func (c *checker) strings(prop string) {
	l, _ := c.list(prop)
	for i, v := range l {
		if _, ok := v.(string); !ok {
			c.fail(fmt.Sprintf("%s[%d]", prop, i), "string", "%s holds strings, not %s", prop, show(v))
		}
	}
}

func (c *checker) refs(prop string, prefixes ...string) {
	l, _ := c.list(prop)
	for i, v := range l {
		c.ref(fmt.Sprintf("%s[%d]", prop, i), v, prefixes...)
	}
}

func (c *checker) integer(prop string, min, max int64) {
	v, ok := c.obj[prop]
	if !ok {
		return
	}
	var n int64
	switch x := v.(type) {
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			c.fail(prop, "integer", "%s must be an integer, not %s", prop, x)
			return
		}
		n = i
	case float64:
		if x != float64(int64(x)) {
			c.fail(prop, "integer", "%s must be an integer, not %v", prop, x)
			return
		}
		n = int64(x)
	default:
		c.fail(prop, "integer", "%s must be an integer, not %s", prop, show(v))
		return
	}
	if n < min || n > max {
		c.fail(prop, "range", "%s %d is outside %d-%d", prop, n, min, max)
	}
}

func (c *checker) boolean(prop string) {
	if v, ok := c.obj[prop]; ok {
		if _, isBool := v.(bool); !isBool {
			c.fail(prop, "boolean", "%s must be true or false, not %s", prop, show(v))
		}
	}
}

// properties checks property names and values as STIX 2.1 allows any property: a name
// of 3-250 lower-case letters, digits and underscores (or id), and no null or empty list.
func (c *checker) properties(prefix string, m map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if k != "id" && !propertyRE.MatchString(k) {
			c.fail(p, "property_name", "property name %q must be 3-250 lower-case letters, digits or _", k)
		}
		switch x := v.(type) {
		case nil:
			c.fail(p, "not_null", "%s is null; leave a property out rather than null", p)
		case []any:
			if len(x) == 0 {
				c.fail(p, "array", "%s is an empty list; leave it out instead", p)
			}
		}
	}
}

// ValidateObject checks one decoded STIX object; path is its JSON path in the bundle.
func ValidateObject(v any, path string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return forewarn.Invalid(path, "object", "a STIX object is a JSON object, not %s", show(v))
	}
	c := &checker{path: path, obj: obj}
	c.id, _ = obj["id"].(string)
	c.require("type", "id")
	typ, _ := c.str("type")
	if c.err == nil && (len(typ) < 3 || len(typ) > 250 || !typeRE.MatchString(typ) || typ == "action") {
		c.fail("type", "pattern", "type %q is not a STIX type name", typ)
	}
	id, _ := c.str("id")
	if c.err == nil && !validIdentifier(id) {
		c.fail("id", "identifier", "id %q is not a STIX identifier (<type>--<UUID>)", id)
	}
	if c.err == nil && !strings.HasPrefix(id, typ+"--") {
		c.fail("id", "identifier_type", "id %q does not start with its type %q", id, typ+"--")
	}
	if c.err != nil {
		return c.err
	}
	c.properties("", obj)
	switch {
	case typ == "marking-definition":
		c.markingDefinition()
	case scoTypes[typ]:
		if sv, ok := c.str("spec_version"); ok && sv != "2.1" {
			c.fail("spec_version", "enum", "spec_version %q: this reader reads STIX 2.1", sv)
		}
	default:
		c.core()
	}
	c.common()
	if c.err == nil {
		c.byType(typ)
	}
	return c.err
}

// core checks what every SDO and SRO carries.
func (c *checker) core() {
	c.require("spec_version", "created", "modified")
	if sv, ok := c.str("spec_version"); ok && sv != "2.1" && sv != "2.0" {
		c.fail("spec_version", "enum", "spec_version %q is not 2.1", sv)
	}
	created, ok1 := c.timestamp("created", true)
	modified, ok2 := c.timestamp("modified", true)
	if ok1 && ok2 && modified.Before(created) {
		c.fail("modified", "order", "modified is before created")
	}
}

// common checks the optional properties every object may carry.
func (c *checker) common() {
	if v, ok := c.obj["created_by_ref"]; ok {
		c.ref("created_by_ref", v, "identity")
	}
	c.boolean("revoked")
	c.strings("labels")
	c.integer("confidence", 0, 100)
	c.str("lang")
	if l, ok := c.list("external_references"); ok {
		for i, v := range l {
			p := fmt.Sprintf("external_references[%d]", i)
			er, isObj := v.(map[string]any)
			if !isObj {
				c.fail(p, "object", "an external reference is an object")
				continue
			}
			if _, ok := er["source_name"].(string); !ok {
				c.fail(p+".source_name", "required", "an external reference needs a source_name")
			}
			if er["external_id"] == nil && er["description"] == nil && er["url"] == nil {
				c.fail(p, "required", "an external reference needs an external_id, a description or a url")
			}
		}
	}
	c.refs("object_marking_refs", "marking-definition")
	if l, ok := c.list("granular_markings"); ok {
		for i, v := range l {
			p := fmt.Sprintf("granular_markings[%d]", i)
			gm, isObj := v.(map[string]any)
			if !isObj {
				c.fail(p, "object", "a granular marking is an object")
				continue
			}
			sel, _ := gm["selectors"].([]any)
			if len(sel) == 0 {
				c.fail(p+".selectors", "required", "a granular marking needs selectors")
			}
			for j, s := range sel {
				if str, ok := s.(string); !ok || !selectorRE.MatchString(str) {
					c.fail(fmt.Sprintf("%s.selectors[%d]", p, j), "selector", "%s is not a selector", show(s))
				}
			}
			mr, present := gm["marking_ref"]
			if !present {
				c.fail(p+".marking_ref", "required", "a granular marking needs a marking_ref")
			} else {
				c.ref(p+".marking_ref", mr, "marking-definition")
			}
		}
	}
	if v, ok := c.obj["extensions"]; ok {
		exts, isObj := v.(map[string]any)
		if !isObj || len(exts) == 0 {
			c.fail("extensions", "object", "extensions must be a non-empty object")
			return
		}
		for _, k := range slices.Sorted(maps.Keys(exts)) {
			e := exts[k]
			p := "extensions." + k
			body, isObj := e.(map[string]any)
			if !isObj || len(body) == 0 {
				c.fail(p, "object", "an extension is a non-empty object")
				continue
			}
			switch {
			case extKeyRE.MatchString(k):
				et, _ := body["extension_type"].(string)
				switch et {
				case "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension":
				default:
					c.fail(p+".extension_type", "enum", "extension_type %s is not one of new-sdo, new-sco, new-sro, property-extension, toplevel-property-extension", show(body["extension_type"]))
				}
				c.properties(p, body)
				switch k {
				case ExtensionID:
					c.forewarnExtension(p, e)
				case IdentityContactExtensionID:
					c.contactExtension(p, body)
				}
			case customExtRE.MatchString(k):
				c.properties(p, body)
			default:
				c.fail(p, "extension_name", "extension %q is neither extension-definition--<UUID> nor a predefined <name>-ext", k)
			}
		}
	}
}

func (c *checker) markingDefinition() {
	c.require("spec_version", "created")
	if sv, ok := c.str("spec_version"); ok && sv != "2.1" && sv != "2.0" {
		c.fail("spec_version", "enum", "spec_version %q is not 2.1", sv)
	}
	c.timestamp("created", false)
	c.str("name")
	dt, hasType := c.str("definition_type")
	def, hasDef := c.obj["definition"]
	if !c.has("extensions") {
		c.require("definition_type", "definition")
	}
	if hasDef {
		if _, ok := def.(map[string]any); !ok {
			c.fail("definition", "object", "definition must be an object")
		}
	}
	switch {
	case !hasType:
	case dt == "statement":
		d, _ := def.(map[string]any)
		if _, ok := d["statement"].(string); !ok {
			c.fail("definition.statement", "required", "a statement marking needs its statement")
		}
	case dt == "tlp":
		if _, known := tlp1IDs[c.id]; !known {
			c.fail("id", "tlp", "a TLP 1.0 marking-definition must be one of the four STIX 2.1 predefines")
		}
	}
}

// byType checks the properties of the types Forewarn maps or refers to; other types are
// held to the common rules only (they are kept raw, not interpreted).
func (c *checker) byType(typ string) {
	switch typ {
	case "identity":
		c.require("name")
		c.str("name")
		c.str("description")
		c.str("identity_class")
		c.strings("roles")
		c.strings("sectors")
		c.str("contact_information")
	case "threat-actor", "intrusion-set":
		c.require("name")
		c.str("name")
		c.strings("aliases")
		c.strings("threat_actor_types")
		c.str("resource_level")
	case "note":
		c.require("content", "object_refs")
		c.str("abstract")
		c.str("content")
		c.strings("authors")
		c.refs("object_refs")
	case "opinion":
		c.require("opinion", "object_refs")
		if o, ok := c.str("opinion"); ok {
			switch o {
			case "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree":
			default:
				c.fail("opinion", "enum", "opinion %q is not strongly-disagree, disagree, neutral, agree or strongly-agree", o)
			}
		}
		c.str("explanation")
		c.strings("authors")
		c.refs("object_refs")
	case "report":
		c.require("name", "published", "object_refs")
		c.str("name")
		c.timestamp("published", false)
		c.strings("report_types")
		c.refs("object_refs")
	case "grouping":
		c.require("context", "object_refs")
		c.str("context")
		c.refs("object_refs")
	case "relationship":
		c.require("relationship_type", "source_ref", "target_ref")
		if rt, ok := c.str("relationship_type"); ok && !relTypeRE.MatchString(rt) {
			c.fail("relationship_type", "pattern", "relationship_type %q must be lower-case letters, digits and hyphens", rt)
		}
		if v, ok := c.obj["source_ref"]; ok {
			c.notRef("source_ref", v)
		}
		if v, ok := c.obj["target_ref"]; ok {
			c.notRef("target_ref", v)
		}
		start, ok1 := c.timestamp("start_time", false)
		stop, ok2 := c.timestamp("stop_time", false)
		if ok1 && ok2 && !stop.After(start) {
			c.fail("stop_time", "order", "stop_time must be after start_time")
		}
	case "sighting":
		c.require("sighting_of_ref")
		if v, ok := c.obj["sighting_of_ref"]; ok {
			c.notRef("sighting_of_ref", v)
		}
		c.refs("where_sighted_refs", "identity", "location")
		c.refs("observed_data_refs", "observed-data")
		c.integer("count", 0, 999999999)
		first, ok1 := c.timestamp("first_seen", false)
		last, ok2 := c.timestamp("last_seen", false)
		if ok1 && ok2 && last.Before(first) {
			c.fail("last_seen", "order", "last_seen is before first_seen")
		}
	case "extension-definition":
		c.require("name", "schema", "version", "extension_types")
		c.str("name")
		c.str("schema")
		c.str("version")
		l, _ := c.list("extension_types")
		for i, v := range l {
			switch v {
			case "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension":
			default:
				c.fail(fmt.Sprintf("extension_types[%d]", i), "enum", "%s is not an extension type", show(v))
			}
		}
	}
}

// forewarnExtension checks the Forewarn extension against its schema
// (docs/stix/forewarn-extension.schema.json): known properties only, each of its type.
func (c *checker) forewarnExtension(path string, v any) {
	b, _ := json.Marshal(v)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Extension
	if err := dec.Decode(&e); err != nil {
		c.fail(path, "forewarn_extension", "the Forewarn extension: %v", err)
		return
	}
	if e.ExtensionType != "property-extension" {
		c.fail(path+".extension_type", "enum", "the Forewarn extension is a property-extension")
	}
	if e.BirthDate != "" {
		if _, err := forewarn.ParsePartialDate(e.BirthDate); err != nil {
			c.fail(path+".birth_date", "partial_date", "%v", err)
		}
	}
	for i, n := range e.Names {
		if strings.TrimSpace(n.Value) == "" {
			c.fail(fmt.Sprintf("%s.names[%d].value", path, i), "required", "a name needs a value")
		}
	}
	if e.Claim != nil {
		g := forewarn.Grading{Reliability: e.Claim.Grading.Reliability, Credibility: e.Claim.Grading.Credibility}
		if err := g.Validate("grading"); err != nil {
			c.fail(path+".claim.grading", "admiralty", "%s", forewarn.ErrorMessage(err))
		}
	}
	if e.Handling != nil && !forewarn.TLP(e.Handling.TLP).Valid() {
		c.fail(path+".handling.tlp", "enum", "unknown TLP level %q", e.Handling.TLP)
	}
}

// contactExtension checks the OASIS identity contact-information extension's rules.
func (c *checker) contactExtension(path string, body map[string]any) {
	allowed := map[string]bool{"extension_type": true, "contact_numbers": true, "email_addresses": true, "social_media_accounts": true,
		"first_name": true, "middle_name": true, "last_name": true, "prefix": true, "suffix": true}
	for _, k := range slices.Sorted(maps.Keys(body)) {
		if !allowed[k] {
			c.fail(path+"."+k, "additional_property", "the contact-information extension has no property %q", k)
		}
	}
	for _, pr := range []struct {
		prop     string
		required []string
	}{
		{"contact_numbers", []string{"contact_number", "contact_number_type"}},
		{"email_addresses", []string{"email_address_ref", "digital_contact_type"}},
		{"social_media_accounts", []string{"user_account_ref", "digital_contact_type"}},
	} {
		prop, required := pr.prop, pr.required
		l, _ := body[prop].([]any)
		for i, item := range l {
			m, _ := item.(map[string]any)
			for _, r := range required {
				if _, ok := m[r].(string); !ok {
					c.fail(fmt.Sprintf("%s.%s[%d].%s", path, prop, i, r), "required", "%s is required", r)
				}
			}
		}
	}
}
