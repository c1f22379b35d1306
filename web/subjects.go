package web

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/match"
)

type subjectsPage struct {
	Subjects []*forewarn.Subject
	Total    int
	Watch    string
	Sort     string
	Headers  []header
	Pager    pager
	Purpose  listPurpose // without a purpose the list names no one (web/purpose.go)
}

// handleSubjects lists the agency's subjects, most recently updated first (an audited read).
// Without a purpose, when the node asks for one first, it shows each subject's watch status
// and last change, not who it is.
func (s *Server) handleSubjects(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(offset, 0)
	pg := subjectsPage{Watch: q.Get("watch"), Sort: q.Get("sort")}
	if pg.Sort == "" {
		pg.Sort = string(forewarn.SortRecentlyChanged)
	}
	ctx, lp, err := s.listConsult(r, a, "subject.list", "subject", "/subjects")
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Purpose = lp
	list, total, err := s.Node.Store.FindSubjects(ctx, a.Principal.Actor(), forewarn.SubjectFilter{Watch: forewarn.WatchStatus(pg.Watch), Sort: forewarn.SubjectSort(pg.Sort), Offset: offset, Limit: pageSize})
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if lp.Withheld {
		list = app.WithholdSubjects(list)
	}
	pg.Subjects, pg.Total = list, total
	pg.Pager = pageOf(r.URL, offset, len(list), total)
	pg.Headers = sortHeaders(r.URL, pg.Sort, []column{{Label: msg("Name"), Key: "name"}, {Label: msg("Also known as")}, {Label: msg("Born")}, {Label: msg("Nationality")},
		{Label: msg("Watch")}, {Label: msg("Updated"), Key: "updated", First: "-updated"}})
	s.render(w, r, a, http.StatusOK, "subjects", msg("Subjects"), pg)
}

// subjectForm is the new-subject or edit-subject form as filled.
type subjectForm struct {
	ID                                                                                   string // the subject edited; "" for a new one
	Name, Aliases, BirthDate, Birthplace, Nationality, Gender, DocKind, DocNumber, Notes string
	Watch                                                                                bool
	Errors                                                                               map[string]string
	Error                                                                                string
}

func (s *Server) handleSubjectForm(w http.ResponseWriter, r *http.Request, a *access) {
	s.render(w, r, a, http.StatusOK, "subject_new", msg("New subject"), &subjectForm{Errors: map[string]string{}})
}

// readSubjectForm reads the subject form into f and onto sub: names, birth date and place,
// nationalities, gender, a document and notes; f.Errors says what is wrong.
func readSubjectForm(pf url.Values, sub *forewarn.Subject) *subjectForm {
	f := &subjectForm{Name: strings.TrimSpace(pf.Get("name")), Aliases: pf.Get("aliases"), BirthDate: strings.TrimSpace(pf.Get("born")),
		Birthplace: strings.TrimSpace(pf.Get("birthplace")), Nationality: pf.Get("nat"), Gender: pf.Get("gender"),
		DocKind: pf.Get("dockind"), DocNumber: strings.TrimSpace(pf.Get("doc")), Notes: pf.Get("notes"), Watch: pf.Get("watch") == "1",
		Errors: map[string]string{}}
	// Names from partners (confirmed matches, imports) keep their source; the form edits
	// the agency's own.
	var kept []forewarn.Name
	for _, n := range sub.Names {
		if n.Source != "" {
			kept = append(kept, n)
		}
	}
	sub.Names = append([]forewarn.Name{{Value: f.Name, Kind: forewarn.NamePrimary}}, kept...)
	for _, al := range strings.Split(f.Aliases, ";") {
		if al = strings.TrimSpace(al); al != "" {
			sub.Names = append(sub.Names, forewarn.Name{Value: al, Kind: forewarn.NameAlias})
		}
	}
	sub.Birthplace, sub.Gender, sub.Notes = f.Birthplace, forewarn.Gender(f.Gender), f.Notes
	bd, err := forewarn.ParsePartialDate(f.BirthDate)
	if err != nil {
		f.Errors["birth_date"] = msg("Write YYYY, YYYY-MM or YYYY-MM-DD.")
	}
	sub.BirthDate = bd
	sub.Nationalities = nil
	for _, c := range strings.FieldsFunc(f.Nationality, func(r rune) bool { return r == ',' || r == ' ' }) {
		sub.Nationalities = append(sub.Nationalities, strings.ToUpper(c))
	}
	if f.DocNumber != "" {
		kind := f.DocKind
		if kind == "" {
			kind = "passport"
		}
		sub.Documents = append(sub.Documents, forewarn.Document{Kind: kind, Number: f.DocNumber})
	}
	return f
}

// formOf fills the edit form from the subject as it is.
func formOf(sub *forewarn.Subject) *subjectForm {
	f := &subjectForm{ID: sub.ID, Name: sub.PrimaryName(), BirthDate: sub.BirthDate.String(), Birthplace: sub.Birthplace,
		Nationality: strings.Join(sub.Nationalities, ", "), Gender: string(sub.Gender), Notes: sub.Notes, Watch: sub.Watch == forewarn.WatchListed,
		Errors: map[string]string{}}
	var aliases []string
	for _, n := range sub.Names {
		if n.Source == "" && n.Kind != forewarn.NamePrimary {
			aliases = append(aliases, n.Value)
		}
	}
	f.Aliases = strings.Join(aliases, "; ")
	return f
}

// handleEditSubjectForm shows the subject's record in the form that changes it.
func (s *Server) handleEditSubjectForm(w http.ResponseWriter, r *http.Request, a *access) {
	ctx, _, ok := s.subjectPurpose(w, r, a, r.PathValue("id"), r.URL.Path)
	if !ok {
		return
	}
	sub, err := s.Node.Store.Subject(ctx, a.Principal.Actor(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.render(w, r, a, http.StatusOK, "subject_new", localeOf(r.Context()).T("Edit %s", sub.PrimaryName()), formOf(sub))
}

// handleEditSubject saves the edited record (the node looks back for earlier mentions of
// the names it now has) and goes back to the subject's page.
func (s *Server) handleEditSubject(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	id := r.PathValue("id")
	sub, err := s.Node.Store.Subject(r.Context(), a.Principal.Actor(), id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	f := readSubjectForm(r.PostForm, sub)
	f.ID, f.Watch = id, sub.Watch == forewarn.WatchListed
	if len(f.Errors) == 0 {
		if _, err = s.Messages.UpdateSubject(r.Context(), a.Principal.Actor(), sub); err == nil {
			redirect(w, r, "/subjects/"+id+"?done=edited")
			return
		}
		if fe := fieldError(err); fe != nil && fe.Field != "" {
			key, _, _ := strings.Cut(fe.Field, "[")
			f.Errors[key] = localeOf(r.Context()).fieldErrorText(fe)
		} else {
			f.Error = errText(r.Context(), err)
		}
	}
	st := http.StatusBadRequest
	if err != nil {
		st = httpStatus(err)
	}
	s.render(w, r, a, st, "subject_new", localeOf(r.Context()).T("Edit %s", f.Name), f)
}

// handleSetWatch watch-lists the subject or takes it off the list, with the reason, which
// the audit trail keeps.
func (s *Server) handleSetWatch(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	watch := forewarn.WatchNone
	if r.PostFormValue("watch") == "1" {
		watch = forewarn.WatchListed
	}
	if err := s.Node.Store.SetWatch(r.Context(), a.Principal.Actor(), id, watch, r.PostFormValue("reason")); err != nil {
		if c := forewarn.ErrorCode(err); c != forewarn.EINVALID && c != forewarn.ECONFLICT {
			s.fail(w, r, a, err)
			return
		}
		s.showSubject(w, r, a, id, httpStatus(err), subjectExtras{Errors: map[string]string{"watch": errText(r.Context(), err)}})
		return
	}
	redirect(w, r, "/subjects/"+id+"?done=watch")
}

// handleLinkSubject links the subject to another the analyst picked by name, with the
// kind of link, its source and grading.
func (s *Server) handleLinkSubject(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	lf := linkForm{Query: r.PostFormValue("link_q"), To: r.PostFormValue("to"), Kind: r.PostFormValue("kind"), SourceAgency: strings.TrimSpace(r.PostFormValue("source_agency")),
		Grading: strings.TrimSpace(r.PostFormValue("grading")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	fail := func(err error) {
		s.showSubject(w, r, a, id, httpStatus(err), subjectExtras{Errors: map[string]string{"link": errText(r.Context(), err)}, LinkForm: lf})
	}
	if lf.To == "" {
		fail(forewarn.Invalid("to_id", "required", "find the other subject by name and pick one"))
		return
	}
	g, err := forewarn.ParseGrading(lf.Grading)
	if err != nil {
		fail(err)
		return
	}
	as := &forewarn.Association{FromID: id, ToID: lf.To, Kind: forewarn.AssociationKind(lf.Kind), Source: forewarn.Source{Agency: lf.SourceAgency}, Grading: g, Note: lf.Note}
	if err := s.Node.Store.CreateAssociation(r.Context(), a.Principal.Actor(), as); err != nil {
		fail(err)
		return
	}
	redirect(w, r, "/subjects/"+id+"?done=linked#network")
}

// linkForm is the "link to another subject" form: the name searched, the candidates
// found, and what was chosen.
type linkForm struct {
	Query, To, Kind, SourceAgency, Grading, Note string
	Candidates                                   []app.SearchResult
	Searched                                     bool
}

// linkCandidates finds the subjects whose names are like q, for the link picker; the
// subject itself is left out.
func (s *Server) linkCandidates(r *http.Request, a *access, id string, lf *linkForm) error {
	lf.Query = strings.TrimSpace(lf.Query)
	if lf.Query == "" {
		return nil
	}
	lf.Searched = true
	res, err := s.Node.Search(r.Context(), a.Principal.Actor(), match.Person{Names: []string{lf.Query}}, 20, 0.3)
	if err != nil {
		return err
	}
	for _, x := range res {
		if x.Kind == "subject" && x.SubjectID != id {
			lf.Candidates = append(lf.Candidates, x)
		}
	}
	return nil
}

// historyPage is a subject's every change, from the audit trail.
type historyPage struct {
	Subject *forewarn.Subject
	Entries []*forewarn.AuditEntry
}

// handleSubjectHistory lists every change to the subject and to its claims and links, as
// the audit trail recorded them, newest first; reads are left out.
func (s *Server) handleSubjectHistory(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	ctx, _, ok := s.subjectPurpose(w, r, a, id, r.URL.Path)
	if !ok {
		return
	}
	sub, err := s.Node.Store.Subject(ctx, a.Principal.Actor(), id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg := historyPage{Subject: sub}
	ids := []string{id}
	claims, err := s.Node.Store.Claims(ctx, id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, c := range claims {
		ids = append(ids, c.ID)
	}
	links, err := s.Node.Store.Associations(ctx, id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, l := range links {
		ids = append(ids, l.ID)
	}
	ms, _, err := s.Node.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: id, Limit: 1000})
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	for _, oid := range ids {
		es, err := s.Node.Store.AuditEntries(ctx, forewarn.AuditFilter{ObjectID: oid, Limit: 1000})
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		for _, e := range es {
			if !strings.HasSuffix(e.Action, ".read") {
				pg.Entries = append(pg.Entries, e)
			}
		}
	}
	slices.SortFunc(pg.Entries, func(x, y *forewarn.AuditEntry) int { return cmp.Compare(y.Seq, x.Seq) })
	s.render(w, r, a, http.StatusOK, "subject_history", localeOf(r.Context()).T("History of %s", sub.PrimaryName()), pg)
}

// handleCreateSubject records a subject and shows it with what the node was told about
// the person before.
func (s *Server) handleCreateSubject(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	sub := &forewarn.Subject{Watch: forewarn.WatchNone}
	f := readSubjectForm(r.PostForm, sub)
	if f.Watch {
		sub.Watch = forewarn.WatchListed
	}
	if len(f.Errors) > 0 {
		s.render(w, r, a, http.StatusBadRequest, "subject_new", msg("New subject"), f)
		return
	}
	mentions, err := s.Messages.CreateSubject(r.Context(), a.Principal.Actor(), sub)
	if err != nil {
		if fe := fieldError(err); fe != nil && fe.Field != "" {
			key, _, _ := strings.Cut(fe.Field, "[")
			f.Errors[key] = localeOf(r.Context()).fieldErrorText(fe)
		} else {
			f.Error = errText(r.Context(), err)
		}
		s.render(w, r, a, httpStatus(err), "subject_new", msg("New subject"), f)
		return
	}
	// Post/redirect/get: reloading the subject's page never posts the form again.
	redirect(w, r, "/subjects/"+sub.ID+"?done=created&told="+strconv.Itoa(len(mentions)))
}

// subjectExtras are what a subject page shows after an action on it.
type subjectExtras struct {
	Errors    map[string]string // form → message: "prefer:<conflict index>", "match:<id>", "claim"
	Done      string
	ClaimForm claimForm // what was typed into the claim form, shown again with its error
	LinkForm  linkForm  // the link picker: the name searched, its candidates, what was chosen
	Told      string    // after creating: how many earlier messages mention the person
}

// claimForm is the "record a claim" form of the subject page.
type claimForm struct {
	Kind, Value, From, To, SourceAgency, SourceName, Grading, Note string
	Negative                                                       bool
}

// subjectPage is everything the subject page shows.
type subjectPage struct {
	D         *app.SubjectDetail
	Names     []forewarn.Name
	Conflicts []conflictView
	Matches   []matchView
	Network   networkView
	Timeline  []app.TimelineEvent
	// CanWrite shows the forms that change the record; ClaimKinds fills the claim form.
	CanWrite   bool
	ClaimKinds []forewarn.ClaimKind
	LinkKinds  []forewarn.AssociationKind
	// Purpose is why the user opened the record, as the audit trail records it.
	Purpose forewarn.Purpose
	// AskPeers are the partners the "Ask privately" form offers (none when the user may
	// not send, or the node exchanges no messages).
	AskPeers []*forewarn.Peer
	subjectExtras
}

// conflictView is a conflict with its claims, to show side by side.
type conflictView struct {
	Index int
	C     forewarn.Conflict
	Claim []*forewarn.Claim
}

func (s *Server) handleSubject(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	ex := subjectExtras{Done: q.Get("done"), Told: q.Get("told"), LinkForm: linkForm{Query: q.Get("link_q")}}
	s.showSubject(w, r, a, r.PathValue("id"), http.StatusOK, ex)
}

func (s *Server) showSubject(w http.ResponseWriter, r *http.Request, a *access, id string, status int, ex subjectExtras) {
	ctx, purpose, ok := s.subjectPurpose(w, r, a, id, "/subjects/"+id)
	if !ok {
		return
	}
	actor := a.Principal.Actor()
	d, err := s.Node.SubjectDetail(ctx, actor, id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for k, v := range ex.Errors { // an error naming this subject by its ID names it by its name
		ex.Errors[k] = localeOf(ctx).named(v, map[string]string{id: d.Subject.PrimaryName()})
	}
	pg := subjectPage{D: d, Names: d.Subject.Names, subjectExtras: ex, Purpose: purpose, CanWrite: a.Principal.Can(forewarn.PermWriteSubjects), ClaimKinds: forewarn.ClaimKinds,
		LinkKinds: []forewarn.AssociationKind{forewarn.AssocAssociateOf, forewarn.AssocTravelledWith, forewarn.AssocIdentifiedWith, forewarn.AssocRelativeOf}}
	if s.Messages != nil && a.Principal.Can(forewarn.PermSendMessages) {
		if pg.AskPeers, err = s.Node.Store.Peers(ctx); err != nil {
			s.fail(w, r, a, err)
			return
		}
	}
	if pg.CanWrite {
		if err := s.linkCandidates(r, a, id, &pg.LinkForm); err != nil {
			s.fail(w, r, a, err)
			return
		}
	}
	byID := map[string]*forewarn.Claim{}
	for _, c := range d.Claims {
		byID[c.ID] = c
	}
	for i, cf := range d.Conflicts {
		cv := conflictView{Index: i, C: cf}
		for _, cid := range cf.ClaimIDs {
			if c, ok := byID[cid]; ok {
				cv.Claim = append(cv.Claim, c)
			}
		}
		pg.Conflicts = append(pg.Conflicts, cv)
	}
	for _, m := range d.Matches {
		v := viewMatch(m, m.PersonRef)
		v.PersonName = v.X.Query
		name := s.messageName(ctx, m.MessageID)
		if name == "" {
			name = msg("a message")
		}
		v.Target, v.TargetHref = localeOf(ctx).T("the person in the %s", localeOf(ctx).T(name)), "/messages/"+m.MessageID
		if e := ex.Errors["match:"+m.ID]; e != "" {
			v.ReviewError = e
		}
		pg.Matches = append(pg.Matches, v)
	}
	if err := s.proposeSame(ctx, pg.Matches); err != nil {
		s.fail(w, r, a, err)
		return
	}
	net, err := s.Node.Network(ctx, actor, id, 2)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Network = layoutNetwork(localeOf(ctx), net)
	if pg.Timeline, err = s.Node.Timeline(ctx, actor, id); err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.render(w, r, a, status, "subject", d.Subject.PrimaryName(), pg)
}

// handleCreateClaim records a graded, sourced claim about the subject.
func (s *Server) handleCreateClaim(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	f := claimForm{Kind: r.PostFormValue("kind"), Value: strings.TrimSpace(r.PostFormValue("value")), From: strings.TrimSpace(r.PostFormValue("from")),
		To: strings.TrimSpace(r.PostFormValue("to")), SourceAgency: strings.TrimSpace(r.PostFormValue("source_agency")),
		SourceName: strings.TrimSpace(r.PostFormValue("source_name")), Grading: strings.TrimSpace(r.PostFormValue("grading")),
		Note: strings.TrimSpace(r.PostFormValue("note")), Negative: r.PostFormValue("negative") == "on"}
	fail := func(err error) {
		s.showSubject(w, r, a, id, httpStatus(err), subjectExtras{Errors: map[string]string{"claim": errText(r.Context(), err)}, ClaimForm: f})
	}
	from, err := forewarn.ParsePartialDate(f.From)
	if err != nil {
		fail(forewarn.Invalid("valid_from", "format", "%v", err))
		return
	}
	to, err := forewarn.ParsePartialDate(f.To)
	if err != nil {
		fail(forewarn.Invalid("valid_to", "format", "%v", err))
		return
	}
	g, err := forewarn.ParseGrading(f.Grading)
	if err != nil {
		fail(err)
		return
	}
	c := &forewarn.Claim{SubjectID: id, Kind: forewarn.ClaimKind(f.Kind), Value: strings.ToUpper(f.Value), ValidFrom: from, ValidTo: to,
		Source: forewarn.Source{Agency: f.SourceAgency, Name: f.SourceName}, Grading: g, Negative: f.Negative, Note: f.Note}
	if c.Kind != forewarn.ClaimTravelEntry && c.Kind != forewarn.ClaimTravelExit {
		c.Value = f.Value // only travel claims carry a country code
	}
	if err := s.Node.Store.CreateClaim(r.Context(), a.Principal.Actor(), c); err != nil {
		fail(err)
		return
	}
	redirect(w, r, "/subjects/"+id+"?done=claim#claims")
}

// handlePreferClaim marks one claim of a conflict preferred, with the analyst's reason.
func (s *Server) handlePreferClaim(w http.ResponseWriter, r *http.Request, a *access) {
	id := r.PathValue("id")
	claimID, reason := r.PostFormValue("claim"), strings.TrimSpace(r.PostFormValue("reason"))
	form := "prefer:" + r.PostFormValue("conflict")
	if claimID == "" || reason == "" {
		s.showSubject(w, r, a, id, http.StatusBadRequest, subjectExtras{Errors: map[string]string{form: msg("Choose the claim you prefer and give your reason.")}})
		return
	}
	if err := s.Node.Store.PreferClaim(r.Context(), a.Principal.Actor(), claimID, reason); err != nil {
		s.showSubject(w, r, a, id, httpStatus(err), subjectExtras{Errors: map[string]string{form: errText(r.Context(), err)}})
		return
	}
	redirect(w, r, "/subjects/"+id+"?done=preferred#conflicts")
}

// handleConfirmMatch records that a described person is the subject and merges what the
// message said into the subject's record.
func (s *Server) handleConfirmMatch(w http.ResponseWriter, r *http.Request, a *access) {
	s.reviewMatch(w, r, a, true)
}

// handleRejectMatch records that the pair are different people; it never alerts again.
func (s *Server) handleRejectMatch(w http.ResponseWriter, r *http.Request, a *access) {
	s.reviewMatch(w, r, a, false)
}

func (s *Server) reviewMatch(w http.ResponseWriter, r *http.Request, a *access, confirm bool) {
	if !s.messagesReady(w, r, a) {
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	m, err := s.Node.Store.Match(ctx, id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	back := "/messages/" + m.MessageID
	if m.SubjectID != "" && r.PostFormValue("from") != "message" {
		back = "/subjects/" + m.SubjectID
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		err = forewarn.Invalid("reason", "required", "give the reason for your decision")
	} else if confirm {
		err = s.Messages.ConfirmMatch(ctx, a.Principal.Actor(), id, reason)
	} else {
		err = s.Node.Store.RejectMatch(ctx, a.Principal.Actor(), id, reason)
	}
	if err != nil {
		if m.SubjectID == "" {
			s.fail(w, r, a, err)
			return
		}
		s.showSubject(w, r, a, m.SubjectID, httpStatus(err), subjectExtras{Errors: map[string]string{"match:" + id: errText(r.Context(), err)}})
		return
	}
	done := "rejected"
	if confirm {
		done = "confirmed"
	}
	if r.PostFormValue("from") == "alerts" {
		// The review answered an alert: back to the alerts, which say the decision closed it.
		redirect(w, r, "/alerts?done="+done+"&match="+url.QueryEscape(id))
		return
	}
	redirect(w, r, back+"?done="+done+"#matches")
}

type searchPage struct {
	Name      string
	Born      string
	BornShown string         // Born as the locale writes it: "mars 1985"
	Results   []searchResult // candidates at or above the line
	Weaker    []searchResult // candidates below it
	Line      float64
	Done      bool
	Error     string
	Tips      []string // what to try when nothing was found
	// Purpose is the purpose fields of the search form, when the node shows who a search
	// found only for a purpose; Withheld says this search's results lack their details.
	Purpose  *purposeForm
	Withheld bool
}

// Search thresholds: candidates scoring at least searchLine are listed first; weaker ones,
// down to searchFloor, below a line. A surname alone or part of a name scores low against
// a full name (the matcher discounts one-part names), so the floor is well below the
// matcher's alert threshold: a search is a person looking, not an alert.
const (
	searchLine  = 0.5
	searchFloor = 0.25
)

type searchResult struct {
	app.SearchResult
	Href string
}

// handleSearch finds subjects and received persons like a name (and birth date), each
// with its score and explanation. The search itself is audited.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	pg := searchPage{Name: strings.TrimSpace(q.Get("name")), Born: strings.TrimSpace(q.Get("born"))}
	policy, err := s.Node.Store.PurposePolicy(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if policy.SearchNeedsPurpose {
		f, err := s.newPurposeForm(r.Context(), r, a, "/search")
		if err != nil {
			s.fail(w, r, a, err)
			return
		}
		pg.Purpose = &f
	}
	if pg.Name == "" {
		s.render(w, r, a, http.StatusOK, "search", msg("Search"), pg)
		return
	}
	pg.Done = true
	if bd, err := forewarn.ParsePartialDate(pg.Born); err == nil {
		pg.BornShown = localeOf(r.Context()).PartialDate(bd)
	} else {
		pg.Error = msg("Birth date: write YYYY, YYYY-MM or YYYY-MM-DD.")
		s.render(w, r, a, http.StatusBadRequest, "search", msg("Search"), pg)
		return
	}
	pg.Line = searchLine
	ctx := r.Context()
	if pu := (forewarn.Purpose{Code: q.Get("purpose"), Text: q.Get("purpose_text")}); pu.Code != "" || pu.Text != "" {
		c, err := s.Node.Consult(ctx, pu)
		if err != nil && pg.Purpose != nil {
			pg.Purpose.Error = errText(r.Context(), err)
		} else if err == nil {
			ctx = c
		}
	}
	withhold, err := s.Node.SearchDetailsWithheld(ctx)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	res, err := s.Node.Search(ctx, a.Principal.Actor(), match.Person{Names: []string{pg.Name}, BirthDate: pg.Born}, 30, searchFloor)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if withhold {
		app.WithholdSearchDetails(res)
		pg.Withheld = true
	}
	for _, x := range res {
		sr := searchResult{SearchResult: x}
		switch {
		case withhold:
		case x.Kind == "subject":
			sr.Href = "/subjects/" + x.SubjectID
		default:
			sr.Href = "/messages/" + x.MessageID
		}
		if x.Score >= searchLine {
			pg.Results = append(pg.Results, sr)
		} else {
			pg.Weaker = append(pg.Weaker, sr)
		}
	}
	if len(res) == 0 {
		if pg.Born != "" {
			pg.Tips = append(pg.Tips, msg("search without the birth date: a wrong or partial date lowers every score"))
		}
		if len(strings.Fields(pg.Name)) > 1 {
			pg.Tips = append(pg.Tips, msg("search for the surname alone"))
		}
		pg.Tips = append(pg.Tips, msg("try another spelling or transliteration (Mostefai, Mustafa; Ismail, Ismaël): the search already tolerates accents, order and common transliterations, so try the name as the other side may write it"))
	}
	s.render(w, r, a, http.StatusOK, "search", msg("Search"), pg)
}

// networkView is a network laid out for an inline SVG: its viewBox is the drawing's own
// bounding box, so the picture fills its box at any width.
type networkView struct {
	Width, Height int
	Nodes         []svgNode
	Edges         []svgEdge
	More          int // persons left out to keep the drawing readable
}

type svgNode struct {
	X, Y     float64 // the circle's centre
	R        float64
	Label    string
	Href     string
	Class    string // root, subject, person
	TextX    float64
	LabelY   float64 // the name's baseline
	Caption  string  // how it is linked to the person before it: "associate of · FR-DGSI"
	CaptionY float64
	Kind     string // what it is: subject, in a message
	Box      box    // what the circle and its words cover
}

type svgEdge struct {
	Path  string // an SVG path from the linking person's words to the linked person's circle
	Kind  string
	Class string
	Title string
}

// box is an axis-aligned rectangle of the drawing.
type box struct{ X0, Y0, X1, Y1 float64 }

func (a box) overlaps(b box) bool { return a.X0 < b.X1 && b.X0 < a.X1 && a.Y0 < b.Y1 && b.Y0 < a.Y1 }

// maxDrawn bounds the persons drawn; a subject matched hundreds of times would otherwise
// be an unreadable list.
const maxDrawn = 24

// The drawing's measures, in SVG units (CSS pixels at full width). Text widths are
// estimated generously from the number of characters, so the words of one person never
// reach the next column even in a wide font.
const (
	netNameSize    = 13.0
	netCaptionSize = 11.0
	netCharWidth   = 0.62 // of the font size, for the widest common Latin text
	netRow         = 40.0 // one person's height: a name and a caption
	netGap         = 56.0 // between one column's words and the next column's circles
	netMargin      = 12.0
)

func textWidth(s string, size float64) float64 { return float64(len([]rune(s))) * size * netCharWidth }

// layoutNetwork lays the network out in layers, left to right: the subject, then the
// persons one hop away, then two. Each person is a row of its layer, its name and how it is
// linked beside its circle; a layer starts where the widest words of the one before end,
// so no two persons' words overlap however long the names; and persons two hops away sit
// in the order of those they are linked through, so few links cross. It is computed here,
// deterministically (the same network is always drawn the same), and the viewBox is the
// bounding box of what is drawn.
func layoutNetwork(l *locale, n *app.Network) networkView {
	var v networkView
	byHop := [3][]app.NetworkNode{}
	for i, nn := range n.Nodes {
		if i >= maxDrawn {
			v.More = len(n.Nodes) - maxDrawn
			break
		}
		h := min(nn.Hops, 2)
		byHop[h] = append(byHop[h], nn)
	}
	if len(byHop[0]) == 0 {
		return v
	}
	hopOf := map[string]int{}
	for h, layer := range byHop {
		for _, nn := range layer {
			hopOf[nn.ID] = h
		}
	}
	// Each person's parent is the first person of the layer before it that it is linked to,
	// and the link is its caption.
	parent, caption := map[string]string{}, map[string]app.NetworkEdge{}
	for _, e := range n.Edges {
		from, to := e.From, e.To
		hf, okF := hopOf[from]
		ht, okT := hopOf[to]
		if !okF || !okT || hf == ht {
			continue
		}
		if hf > ht {
			from, to = to, from
		}
		if _, ok := parent[to]; !ok {
			parent[to], caption[to] = from, e
		}
	}
	// Layer 1 by name; layer 2 under its parents, in their order, then by name.
	slices.SortStableFunc(byHop[1], func(a, b app.NetworkNode) int { return cmp.Compare(a.Label, b.Label) })
	row := map[string]int{}
	for i, nn := range byHop[1] {
		row[nn.ID] = i
	}
	slices.SortStableFunc(byHop[2], func(a, b app.NetworkNode) int {
		pa, okA := row[parent[a.ID]]
		pb, okB := row[parent[b.ID]]
		if !okA {
			pa = len(byHop[1])
		}
		if !okB {
			pb = len(byHop[1])
		}
		if c := cmp.Compare(pa, pb); c != 0 {
			return c
		}
		return cmp.Compare(a.Label, b.Label)
	})

	rows := max(len(byHop[0]), len(byHop[1]), len(byHop[2]))
	height := float64(rows) * netRow
	pos := map[string]*svgNode{}
	x := netMargin
	for h, layer := range byHop {
		if len(layer) == 0 {
			continue
		}
		r := 9.0
		if h == 0 {
			r = 12
		}
		// The layer is centred on the drawing's height.
		top := netMargin + (height-float64(len(layer))*netRow)/2
		widest := 0.0
		for i, nn := range layer {
			cy := top + netRow*float64(i) + netRow/2
			sn := svgNode{X: round1(x + r), Y: round1(cy), R: r, Label: shorten(nn.Label, 30), Class: "person", TextX: round1(x + 2*r + 6)}
			switch {
			case h == 0:
				sn.Class = "root"
			case nn.SubjectID != "":
				sn.Class = "subject"
			}
			if nn.SubjectID != "" {
				sn.Href, sn.Kind = "/subjects/"+nn.SubjectID, msg("subject")
			} else if nn.MessageID != "" {
				sn.Href, sn.Kind = "/messages/"+nn.MessageID, msg("in a message")
			}
			sn.LabelY = round1(cy - 2)
			if e, ok := caption[nn.ID]; ok {
				sn.Caption = shorten(l.T(label(e.Kind))+" · "+edgeSource(l, e, true), 34)
				sn.CaptionY = round1(cy + netCaptionSize + 1)
			} else {
				sn.LabelY = round1(cy + netNameSize*0.35)
			}
			words := max(textWidth(sn.Label, netNameSize), textWidth(sn.Caption, netCaptionSize))
			sn.Box = box{X0: x, Y0: round1(cy - netRow/2 + 2), X1: round1(sn.TextX + words), Y1: round1(cy + netRow/2 - 2)}
			widest = max(widest, sn.Box.X1-x)
			v.Nodes = append(v.Nodes, sn)
		}
		for i := len(v.Nodes) - len(layer); i < len(v.Nodes); i++ {
			pos[layer[i-(len(v.Nodes)-len(layer))].ID] = &v.Nodes[i]
		}
		x += widest + netGap
	}
	v.Width = int(math.Ceil(x - netGap + netMargin))
	v.Height = int(math.Ceil(height + 2*netMargin))

	for _, e := range n.Edges {
		a, b := pos[e.From], pos[e.To]
		if a == nil || b == nil {
			continue
		}
		if a.X > b.X {
			a, b = b, a
		}
		cls := "link"
		if e.Kind == "match" {
			cls = "match"
		}
		var path string
		if a.X == b.X {
			// Two persons of one layer: a curve in the gap on their left.
			bend := a.X - a.R - 18
			path = fmt.Sprintf("M%v %vC%v %v %v %v %v %v", round1(a.X-a.R), a.Y, round1(bend), a.Y, round1(bend), b.Y, round1(b.X-b.R), b.Y)
		} else {
			// From the end of the linking person's words to the linked person's circle,
			// through the gap between their layers.
			x0, x1 := a.Box.X1+4, b.X-b.R
			gap := max(x0, x1-netGap+4) // where the gap between the layers starts
			mid := round1((gap + x1) / 2)
			path = fmt.Sprintf("M%v %vH%vC%v %v %v %v %v %v", round1(x0), a.Y, round1(gap), mid, a.Y, mid, b.Y, round1(x1), b.Y)
		}
		v.Edges = append(v.Edges, svgEdge{Path: path, Kind: e.Kind, Class: cls, Title: edgeSource(l, e, false)})
	}
	return v
}

// edgeSource says where a link of the network comes from, in the reader's language: a
// match by its score, a link in a message by its agency and message (short: the agency
// and the kind of message), a link between subjects by its source.
func edgeSource(l *locale, e app.NetworkEdge, short bool) string {
	switch {
	case e.Kind == "match" && e.Score > 0:
		return l.T("score %s", l.Decimal(e.Score, 2))
	case e.Agency != "" && short:
		return l.T("%s, %s", e.Agency, l.T(label(e.MessageKind)))
	case e.Agency != "":
		return l.T("%s in %s %s", e.Agency, l.T(label(e.MessageKind)), e.MessageID)
	}
	return e.Source
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
