package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/stix"
)

// stixCodec is the forewarn.STIXCodec the TAXII server and the feeds use, over the stix
// package's mapping: a subject is an identity with the Forewarn person extension, and a
// person comes back through the same reader `forewarn import --format stix` uses.
type stixCodec struct{}

var _ forewarn.STIXCodec = stixCodec{}

// tlpMarkings are the official STIX IDs of the TLP marking-definitions: TLP 2.0 first,
// then the TLP 1.0 ones STIX 2.1 defines, read as their TLP 2.0 counterparts.
var tlpMarkings = map[string]forewarn.TLP{
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": forewarn.TLPClear,
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": forewarn.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": forewarn.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": forewarn.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": forewarn.TLPRed,
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": forewarn.TLPClear, // TLP 1.0 WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": forewarn.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": forewarn.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": forewarn.TLPRed,
}

// tlpMarking is the TLP 2.0 marking-definition ID of each level.
func tlpMarking(t forewarn.TLP) string {
	for id, l := range tlpMarkings {
		if l == t && !isTLP1(id) {
			return id
		}
	}
	return ""
}

func isTLP1(id string) bool {
	switch id {
	case "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed":
		return true
	}
	return false
}

var (
	stixIDRE   = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	stixTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$`)
)

// Validate checks what every STIX 2.1 object must hold, naming the property at fault.
func (stixCodec) Validate(obj json.RawMessage) error {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(obj, &o); err != nil {
		return forewarn.Invalid("", "json", "not a JSON object: %v", err)
	}
	str := func(k string) (string, bool, error) {
		raw, ok := o[k]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", true, forewarn.Invalid(k, "string", "must be a string")
		}
		return s, true, nil
	}
	typ, ok, err := str("type")
	if err != nil {
		return err
	}
	if !ok || !stixTypeRE.MatchString(typ) {
		return forewarn.Invalid("type", "required", "every STIX object needs a type of 3 to 250 lower-case letters, digits and hyphens")
	}
	id, ok, err := str("id")
	if err != nil {
		return err
	}
	m := stixIDRE.FindStringSubmatch(id)
	if !ok || m == nil {
		return forewarn.Invalid("id", "identifier", "%q is not a STIX identifier (type--UUID)", id)
	}
	if m[1] != typ {
		return forewarn.Invalid("id", "identifier", "%q does not start with its type %q", id, typ)
	}
	spec, ok, err := str("spec_version")
	if err != nil {
		return err
	}
	if !ok || spec != "2.1" {
		return forewarn.Invalid("spec_version", "enum", "spec_version must be \"2.1\", not %q", spec)
	}
	var created, modified time.Time
	for _, k := range []string{"created", "modified"} {
		s, ok, err := str(k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || t.Location() != time.UTC {
			return forewarn.Invalid(k, "timestamp", "%q is not a UTC STIX timestamp like 2016-04-06T20:03:48.000Z", s)
		}
		if k == "created" {
			created = t
		} else {
			modified = t
		}
	}
	if !created.IsZero() && !modified.IsZero() && modified.Before(created) {
		return forewarn.Invalid("modified", "after_created", "modified is before created")
	}
	if _, ok := o["created"]; !ok && typ != "bundle" && !scoTypes[typ] {
		return forewarn.Invalid("created", "required", "a STIX %s needs created", typ)
	}
	if raw, ok := o["object_marking_refs"]; ok {
		var refs []string
		if err := json.Unmarshal(raw, &refs); err != nil {
			return forewarn.Invalid("object_marking_refs", "list", "must be a list of marking-definition IDs")
		}
		for i, r := range refs {
			if mm := stixIDRE.FindStringSubmatch(r); mm == nil || mm[1] != "marking-definition" {
				return forewarn.Invalid(fmt.Sprintf("object_marking_refs[%d]", i), "identifier", "%q is not a marking-definition ID", r)
			}
		}
	}
	if typ == "identity" {
		if name, _, _ := str("name"); name == "" {
			return forewarn.Invalid("name", "required", "an identity needs a name")
		}
	}
	return nil
}

// scoTypes are the STIX Cyber-observable types, which carry no created property.
var scoTypes = map[string]bool{"artifact": true, "autonomous-system": true, "directory": true, "domain-name": true, "email-addr": true,
	"email-message": true, "file": true, "ipv4-addr": true, "ipv6-addr": true, "mac-addr": true, "mutex": true, "network-traffic": true,
	"process": true, "software": true, "url": true, "user-account": true, "windows-registry-key": true, "x509-certificate": true}

// Marks reads the TLP of an object's marking references: the most restrictive it names.
func (stixCodec) Marks(obj json.RawMessage) (forewarn.HandlingMarks, bool) {
	var o struct {
		Refs []string `json:"object_marking_refs"`
	}
	if json.Unmarshal(obj, &o) != nil {
		return forewarn.HandlingMarks{}, false
	}
	var m forewarn.HandlingMarks
	for _, r := range o.Refs {
		if t, ok := tlpMarkings[r]; ok && forewarn.TLPRank(t) > forewarn.TLPRank(m.TLP) {
			m.TLP = t
		}
	}
	return m, m.TLP != ""
}

// Person maps an identity of an individual (or a threat-actor that is one person) to a
// person descriptor, as `forewarn import --format stix` would.
func (stixCodec) Person(obj json.RawMessage) (forewarn.PersonDescriptor, bool, error) {
	bundle := append(append([]byte(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[`), obj...), "]}"...)
	r := &stix.Reader{Dataset: "taxii", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(bundle)), nil }}
	var p forewarn.PersonDescriptor
	found := false
	var bad error
	err := r.Read(context.Background(), func(rec *forewarn.ImportRecord) error {
		s := rec.Subject
		p = forewarn.PersonDescriptor{Names: s.Names, BirthDate: s.BirthDate, Birthplace: s.Birthplace, Nationalities: s.Nationalities,
			Gender: s.Gender, Documents: s.Documents, Watch: s.Watch}
		found = true
		return nil
	}, func(e forewarn.ImportError) { bad = forewarn.Invalid(e.Position, "stix", "%s", e.Reason) })
	if err != nil {
		return p, false, forewarn.Invalid("", "stix", "%v", err)
	}
	if bad != nil {
		return p, false, bad
	}
	return p, found, nil
}

// Subject maps the node's subject to its identity, marked with the TLP of marks.
func (stixCodec) Subject(agency string, s *forewarn.Subject, marks forewarn.HandlingMarks) (json.RawMessage, error) {
	o, err := stix.Identity(agency, s)
	if err != nil {
		return nil, err
	}
	if id := tlpMarking(marks.TLP); id != "" {
		o.ObjectMarkingRefs = []string{id}
	}
	return json.Marshal(o)
}
