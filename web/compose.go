package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/match"
)

// minPersonRows is how many person rows the compose form always offers.
const minPersonRows = 3

// composeForm is the compose page's form as the user filled it, with its errors and the
// draft check's hits.
type composeForm struct {
	Kind      string
	Title     string
	Questions string
	Priority  string
	Deadline  string // datetime-local, UTC
	InReplyTo string
	TLP       string
	To        []string
	Release   []string
	Consent   bool
	Persons   []personForm

	Errors  map[string]string // form field → message
	Error   string            // what belongs to no one field
	Checked bool
	Hits    []draftHitView
	// Asked are the answers to "Ask privately" about the draft's persons, one a partner
	// chosen among the recipients; Refused says which partners were not asked, and why.
	Asked   []*forewarn.PrivateQuery
	Refused []string

	Peers      []*forewarn.Peer
	Priorities []forewarn.Priority
	TLPs       []forewarn.TLP
	DocKinds   []string
}

// personForm is one person row.
type personForm struct {
	Name        string
	Aliases     string // separated by ";": names may contain commas
	BirthDate   string
	Nationality string // comma separated
	DocKind     string
	DocNumber   string
	Error       string
}

// draftHitView is one match the draft check found.
type draftHitView struct {
	Person      string
	Score       float64
	Summary     string
	X           match.Explanation
	SubjectID   string
	SubjectName string
	Watchlisted bool
	Message     *forewarn.Message
	Status      string
}

func (s *Server) newComposeForm(r *http.Request) (*composeForm, error) {
	peers, err := s.Node.Store.Peers(r.Context())
	if err != nil {
		return nil, err
	}
	return &composeForm{Kind: string(forewarn.KindNotification), Priority: string(forewarn.PriorityPriority), TLP: string(forewarn.TLPAmber),
		Errors: map[string]string{}, Peers: peers,
		Priorities: []forewarn.Priority{forewarn.PriorityFlash, forewarn.PriorityUrgent, forewarn.PriorityPriority, forewarn.PriorityRoutine},
		TLPs:       []forewarn.TLP{forewarn.TLPClear, forewarn.TLPGreen, forewarn.TLPAmber, forewarn.TLPAmberStrict, forewarn.TLPRed},
		DocKinds:   []string{"passport", "national_id", "residence_permit", "driving_licence"}}, nil
}

func (s *Server) handleComposeForm(w http.ResponseWriter, r *http.Request, a *access) {
	f, err := s.newComposeForm(r)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	f.InReplyTo = r.URL.Query().Get("reply_to")
	f.Persons = make([]personForm, minPersonRows)
	s.render(w, r, a, http.StatusOK, "compose", msg("Compose"), f)
}

// readCompose reads the posted form.
func (s *Server) readCompose(r *http.Request) (*composeForm, error) {
	f, err := s.newComposeForm(r)
	if err != nil {
		return nil, err
	}
	pf := r.PostForm
	f.Kind, f.Title, f.Questions = pf.Get("kind"), strings.TrimSpace(pf.Get("title")), strings.TrimSpace(pf.Get("questions"))
	f.Priority, f.Deadline, f.TLP = pf.Get("priority"), strings.TrimSpace(pf.Get("deadline")), pf.Get("tlp")
	f.InReplyTo = strings.TrimSpace(pf.Get("in_reply_to"))
	f.To, f.Release, f.Consent = pf["to"], pf["release"], pf.Get("consent") == "1"
	n, _ := strconv.Atoi(pf.Get("rows"))
	n = min(max(n, minPersonRows), forewarn.MaxPersons)
	for i := range n {
		p := func(k string) string { return strings.TrimSpace(pf.Get(fmt.Sprintf("p%d_%s", i, k))) }
		f.Persons = append(f.Persons, personForm{Name: p("name"), Aliases: p("aliases"), BirthDate: p("born"), Nationality: p("nat"), DocKind: p("dockind"), DocNumber: p("doc")})
	}
	return f, nil
}

// descriptors turns the filled person rows into persons; rows without a name are left
// out. rows maps each person to its form row, to show errors beside it.
func (f *composeForm) descriptors() (ps []forewarn.PersonDescriptor, rows []int) {
	for i := range f.Persons {
		pf := &f.Persons[i]
		if pf.Name == "" {
			if pf.Aliases != "" || pf.BirthDate != "" || pf.DocNumber != "" {
				pf.Error = msg("Give the person's name.")
			}
			continue
		}
		d := forewarn.PersonDescriptor{Ref: "p" + strconv.Itoa(len(ps)+1), Names: []forewarn.Name{{Value: pf.Name, Kind: forewarn.NamePrimary}}}
		for _, al := range strings.Split(pf.Aliases, ";") {
			if al = strings.TrimSpace(al); al != "" {
				d.Names = append(d.Names, forewarn.Name{Value: al, Kind: forewarn.NameAlias})
			}
		}
		bd, err := forewarn.ParsePartialDate(pf.BirthDate)
		if err != nil {
			pf.Error = msg("Birth date: write YYYY, YYYY-MM or YYYY-MM-DD.")
		}
		d.BirthDate = bd
		for _, c := range strings.FieldsFunc(pf.Nationality, func(r rune) bool { return r == ',' || r == ' ' }) {
			d.Nationalities = append(d.Nationalities, strings.ToUpper(c))
		}
		if pf.DocNumber != "" {
			kind := pf.DocKind
			if kind == "" {
				kind = "passport"
			}
			d.Documents = []forewarn.Document{{Kind: kind, Number: pf.DocNumber}}
		}
		ps = append(ps, d)
		rows = append(rows, i)
	}
	return ps, rows
}

// message builds the draft message from the form; errors found on the way are in f.Errors.
func (f *composeForm) message() (*forewarn.Message, []int) {
	persons, rows := f.descriptors()
	m := &forewarn.Message{Kind: forewarn.MessageKind(f.Kind), To: f.To, InReplyTo: f.InReplyTo,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLP(f.TLP), ReleasableTo: f.Release, OriginatorConsentRequired: f.Consent}}
	var deadline time.Time
	if f.Deadline != "" {
		t, err := time.Parse("2006-01-02T15:04", f.Deadline)
		if err != nil {
			f.Errors["deadline"] = msg("Write the deadline as a date and time (UTC).")
		}
		deadline = t
	}
	switch m.Kind {
	case forewarn.KindRequest:
		m.Request = &forewarn.Request{Subject: f.Title, Questions: f.Questions, Persons: persons, Deadline: deadline, Priority: forewarn.Priority(f.Priority)}
	case forewarn.KindNotification:
		m.Notification = &forewarn.Notification{Summary: f.Title, Priority: forewarn.Priority(f.Priority), Persons: persons, AcknowledgeBy: deadline}
	default:
		f.Errors["kind"] = msg("Choose request or notification.")
	}
	if len(f.To) == 0 {
		f.Errors["to"] = msg("Choose at least one recipient.")
	}
	return m, rows
}

// handleCompose handles the compose form's three buttons: add a person row, check the
// persons against what the node holds, or send.
func (s *Server) handleCompose(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	f, err := s.readCompose(r)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	switch r.PostFormValue("action") {
	case "add":
		if len(f.Persons) < forewarn.MaxPersons {
			f.Persons = append(f.Persons, personForm{})
		}
		s.render(w, r, a, http.StatusOK, "compose", msg("Compose"), f)
		return
	case "check":
		if err := s.checkDraft(r, f); err != nil {
			s.fail(w, r, a, err)
			return
		}
		s.render(w, r, a, http.StatusOK, "compose", msg("Compose"), f)
		return
	case "private":
		s.askDraftPrivately(w, r, a, f)
		return
	}
	m, rows := f.message()
	for _, p := range f.Persons {
		if p.Error != "" {
			f.Errors["persons"] = msg("Correct the persons marked below.")
		}
	}
	if len(f.Errors) > 0 {
		s.render(w, r, a, http.StatusBadRequest, "compose", msg("Compose"), f)
		return
	}
	sm, err := s.Messages.Send(r.Context(), a.Principal.Actor(), m)
	if err != nil {
		f.place(localeOf(r.Context()), err, rows)
		s.render(w, r, a, httpStatus(err), "compose", msg("Compose"), f)
		return
	}
	redirect(w, r, "/messages/"+sm.Message.ID+"?done=sent")
}

// askDraftPrivately asks each recipient chosen in the draft whether it holds the draft's
// persons, without naming them, and shows the answers on the draft.
func (s *Server) askDraftPrivately(w http.ResponseWriter, r *http.Request, a *access, f *composeForm) {
	persons, _ := f.descriptors()
	switch {
	case len(f.To) == 0:
		f.Errors["to"] = msg("Choose the partners to ask privately.")
	case len(persons) == 0:
		f.Errors["persons"] = msg("Give the name of a person to ask about.")
	}
	for _, p := range f.Persons {
		if p.Error != "" {
			f.Errors["persons"] = msg("Correct the persons marked below.")
		}
	}
	if len(f.Errors) > 0 {
		s.render(w, r, a, http.StatusBadRequest, "compose", msg("Compose"), f)
		return
	}
	for _, peer := range f.To {
		q, err := s.Messages.AskPrivatelyDraft(r.Context(), a.Principal.Actor(), peer, f.InReplyTo, persons)
		if err != nil {
			f.Refused = append(f.Refused, peer+": "+errText(r.Context(), err))
			continue
		}
		f.Asked = append(f.Asked, q)
	}
	s.render(w, r, a, http.StatusOK, "compose", msg("Compose"), f)
}

var personFieldRE = regexp.MustCompile(`^persons\[(\d+)\]`)

// place shows a validation error beside the form field it names, or above the form.
func (f *composeForm) place(l *locale, err error, rows []int) {
	fe := fieldError(err)
	if fe == nil || fe.Field == "" {
		f.Error = l.errorText(err)
		return
	}
	field := fe.Field
	for _, p := range []string{"request.", "notification."} {
		field = strings.TrimPrefix(field, p)
	}
	if mm := personFieldRE.FindStringSubmatch(field); mm != nil {
		k, _ := strconv.Atoi(mm[1])
		if k < len(rows) {
			f.Persons[rows[k]].Error = l.errorText(fe)
			f.Errors["persons"] = msg("Correct the persons marked below.")
			return
		}
	}
	key := map[string]string{"to": "to", "marks.tlp": "tlp", "marks.releasable_to": "release", "subject": "title", "summary": "title",
		"questions": "questions", "deadline": "deadline", "acknowledge_by": "deadline", "priority": "priority", "kind": "kind", "persons": "persons",
		"in_reply_to": "in_reply_to"}
	base, _, _ := strings.Cut(field, "[")
	if k, ok := key[base]; ok {
		f.Errors[k] = l.fieldErrorText(fe)
		return
	}
	f.Error = l.errorText(fe)
}

// checkDraft fills the form's hits: the drafted persons compared with the subjects the
// node holds and everything it was told before.
func (s *Server) checkDraft(r *http.Request, f *composeForm) error {
	persons, rows := f.descriptors()
	hits, err := s.Messages.CheckDraft(r.Context(), httpapi.PrincipalFrom(r.Context()).Actor(), persons)
	if err != nil {
		return err
	}
	byRef := map[string]int{}
	for k, p := range persons {
		byRef[p.Ref] = rows[k]
	}
	f.Checked = true
	for _, h := range hits {
		v := draftHitView{Person: f.Persons[byRef[h.PersonRef]].Name, Score: h.Score, Summary: h.Summary, SubjectID: h.SubjectID,
			SubjectName: h.SubjectName, Watchlisted: h.Watchlisted, Message: h.Message, Status: h.Status}
		if h.Delivery != nil {
			v.Status = deliveryStatus(localeOf(r.Context()), h.Delivery)
		}
		if x, ok := h.Explanation.(match.Explanation); ok {
			v.X = x
		}
		f.Hits = append(f.Hits, v)
	}
	return nil
}

// handleComposeCheck answers the compose page's script: the draft check's hits as an HTML
// fragment to put in place, so the page needs no client-side templates.
func (s *Server) handleComposeCheck(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	f, err := s.readCompose(r)
	if err == nil {
		err = s.checkDraft(r, f)
	}
	if err != nil {
		w.WriteHeader(httpStatus(err))
		s.renderFragment(w, r, "compose", "draft-error", errText(r.Context(), err))
		return
	}
	s.renderFragment(w, r, "compose", "draft-hits", f)
}

// fieldError returns err's *forewarn.Error, or nil.
func fieldError(err error) *forewarn.Error {
	var fe *forewarn.Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

func httpStatus(err error) int { return httpapi.ErrorStatus(err) }
