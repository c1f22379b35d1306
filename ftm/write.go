package ftm

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/forewarn/forewarn"
)

// Writer writes subjects as FtM entities, one JSON line each: a Person, and a Passport
// or Identification per document, so that a document's kind and country survive.
type Writer struct {
	w   io.Writer
	enc *json.Encoder
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &Writer{w: w, enc: enc}
}

// Write writes one subject; its entity ID is the subject's ID.
func (w *Writer) Write(s *forewarn.Subject) error {
	p := Entity{ID: s.ID, Schema: "Person", Caption: s.PrimaryName(), Properties: map[string][]string{}}
	add := func(k, v string) {
		if v != "" {
			p.Properties[k] = append(p.Properties[k], v)
		}
	}
	add("name", s.PrimaryName())
	for _, n := range s.Names {
		if n.Kind != forewarn.NamePrimary {
			add("alias", n.Value)
		}
	}
	if !s.BirthDate.IsZero() {
		add("birthDate", s.BirthDate.String())
	}
	add("birthPlace", s.Birthplace)
	for _, c := range s.Nationalities {
		add("nationality", lower(c))
	}
	add("gender", string(s.Gender))
	add("notes", s.Notes)
	if err := w.enc.Encode(&p); err != nil {
		return err
	}
	for i, d := range s.Documents {
		e := Entity{ID: s.ID + "-doc-" + strconv.Itoa(i+1), Schema: "Identification", Properties: map[string][]string{
			"holder": {s.ID}, "number": {d.Number}, "type": {d.Kind}}}
		if d.Kind == "passport" {
			e.Schema = "Passport"
			delete(e.Properties, "type")
		}
		if d.Country != "" {
			e.Properties["country"] = []string{lower(d.Country)}
		}
		if err := w.enc.Encode(&e); err != nil {
			return err
		}
	}
	return nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
