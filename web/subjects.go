package web

import (
	"math"
	"net/http"
	"net/url"
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
	PrevHref string
	NextHref string
}

// handleSubjects lists the agency's subjects, most recently updated first (an audited read).
func (s *Server) handleSubjects(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(offset, 0)
	pg := subjectsPage{Watch: q.Get("watch")}
	list, total, err := s.Node.Store.FindSubjects(r.Context(), a.Principal.Actor(), forewarn.SubjectFilter{Watch: forewarn.WatchStatus(pg.Watch), Offset: offset, Limit: pageSize})
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Subjects, pg.Total = list, total
	href := func(off int) string {
		return "/subjects?" + url.Values{"watch": {pg.Watch}, "offset": {strconv.Itoa(off)}}.Encode()
	}
	if offset > 0 {
		pg.PrevHref = href(max(offset-pageSize, 0))
	}
	if offset+len(list) < total {
		pg.NextHref = href(offset + pageSize)
	}
	s.render(w, r, a, http.StatusOK, "subjects", "Subjects", pg)
}

// subjectForm is the new-subject form as filled.
type subjectForm struct {
	Name, Aliases, BirthDate, Birthplace, Nationality, Gender, DocKind, DocNumber, Notes string
	Watch                                                                                bool
	Errors                                                                               map[string]string
	Error                                                                                string
}

func (s *Server) handleSubjectForm(w http.ResponseWriter, r *http.Request, a *access) {
	s.render(w, r, a, http.StatusOK, "subject_new", "New subject", &subjectForm{Errors: map[string]string{}})
}

// handleCreateSubject records a subject and shows it with what the node was told about
// the person before.
func (s *Server) handleCreateSubject(w http.ResponseWriter, r *http.Request, a *access) {
	if !s.messagesReady(w, r, a) {
		return
	}
	pf := r.PostForm
	f := &subjectForm{Name: strings.TrimSpace(pf.Get("name")), Aliases: pf.Get("aliases"), BirthDate: strings.TrimSpace(pf.Get("born")),
		Birthplace: strings.TrimSpace(pf.Get("birthplace")), Nationality: pf.Get("nat"), Gender: pf.Get("gender"),
		DocKind: pf.Get("dockind"), DocNumber: strings.TrimSpace(pf.Get("doc")), Notes: pf.Get("notes"), Watch: pf.Get("watch") == "1",
		Errors: map[string]string{}}
	sub := &forewarn.Subject{Names: []forewarn.Name{{Value: f.Name, Kind: forewarn.NamePrimary}}, Birthplace: f.Birthplace,
		Gender: forewarn.Gender(f.Gender), Notes: f.Notes, Watch: forewarn.WatchNone}
	if f.Watch {
		sub.Watch = forewarn.WatchListed
	}
	for _, al := range strings.Split(f.Aliases, ";") {
		if al = strings.TrimSpace(al); al != "" {
			sub.Names = append(sub.Names, forewarn.Name{Value: al, Kind: forewarn.NameAlias})
		}
	}
	bd, err := forewarn.ParsePartialDate(f.BirthDate)
	if err != nil {
		f.Errors["birth_date"] = "Write YYYY, YYYY-MM or YYYY-MM-DD."
	}
	sub.BirthDate = bd
	for _, c := range strings.FieldsFunc(f.Nationality, func(r rune) bool { return r == ',' || r == ' ' }) {
		sub.Nationalities = append(sub.Nationalities, strings.ToUpper(c))
	}
	if f.DocNumber != "" {
		kind := f.DocKind
		if kind == "" {
			kind = "passport"
		}
		sub.Documents = []forewarn.Document{{Kind: kind, Number: f.DocNumber}}
	}
	if len(f.Errors) > 0 {
		s.render(w, r, a, http.StatusBadRequest, "subject_new", "New subject", f)
		return
	}
	mentions, err := s.Messages.CreateSubject(r.Context(), a.Principal.Actor(), sub)
	if err != nil {
		if fe := fieldError(err); fe != nil && fe.Field != "" {
			key, _, _ := strings.Cut(fe.Field, "[")
			f.Errors[key] = fe.Message
		} else {
			f.Error = forewarn.ErrorMessage(err)
		}
		s.render(w, r, a, httpStatus(err), "subject_new", "New subject", f)
		return
	}
	s.showSubject(w, r, a, sub.ID, http.StatusCreated, subjectExtras{Mentions: mentions, Created: true})
}

// subjectExtras are what a subject page shows after an action on it.
type subjectExtras struct {
	Mentions  []app.EarlierMention
	Created   bool
	Errors    map[string]string // form → message: "prefer:<conflict index>", "match:<id>", "claim"
	Done      string
	ClaimForm claimForm // what was typed into the claim form, shown again with its error
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
	subjectExtras
}

// conflictView is a conflict with its claims, to show side by side.
type conflictView struct {
	Index int
	C     forewarn.Conflict
	Claim []*forewarn.Claim
}

func (s *Server) handleSubject(w http.ResponseWriter, r *http.Request, a *access) {
	s.showSubject(w, r, a, r.PathValue("id"), http.StatusOK, subjectExtras{Done: r.URL.Query().Get("done")})
}

func (s *Server) showSubject(w http.ResponseWriter, r *http.Request, a *access, id string, status int, ex subjectExtras) {
	ctx := r.Context()
	actor := a.Principal.Actor()
	d, err := s.Node.SubjectDetail(ctx, actor, id)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg := subjectPage{D: d, Names: d.Subject.Names, subjectExtras: ex, CanWrite: a.Principal.Can(forewarn.PermWriteSubjects), ClaimKinds: forewarn.ClaimKinds}
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
			name = "a message"
		}
		v.Target, v.TargetHref = "the person in the "+name, "/messages/"+m.MessageID
		if msg := ex.Errors["match:"+m.ID]; msg != "" {
			v.ReviewError = msg
		}
		pg.Matches = append(pg.Matches, v)
	}
	net, err := s.Node.Network(ctx, actor, id, 2)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	pg.Network = layoutNetwork(net)
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
		s.showSubject(w, r, a, id, httpStatus(err), subjectExtras{Errors: map[string]string{"claim": forewarn.ErrorMessage(err)}, ClaimForm: f})
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
		s.showSubject(w, r, a, id, http.StatusBadRequest, subjectExtras{Errors: map[string]string{form: "Choose the claim you prefer and give your reason."}})
		return
	}
	if err := s.Node.Store.PreferClaim(r.Context(), a.Principal.Actor(), claimID, reason); err != nil {
		s.showSubject(w, r, a, id, httpStatus(err), subjectExtras{Errors: map[string]string{form: forewarn.ErrorMessage(err)}})
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
	if m.SubjectID != "" {
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
		s.showSubject(w, r, a, m.SubjectID, httpStatus(err), subjectExtras{Errors: map[string]string{"match:" + id: forewarn.ErrorMessage(err)}})
		return
	}
	done := "rejected"
	if confirm {
		done = "confirmed"
	}
	redirect(w, r, back+"?done="+done+"#matches")
}

type searchPage struct {
	Name    string
	Born    string
	Results []searchResult
	Done    bool
	Error   string
}

type searchResult struct {
	app.SearchResult
	Href string
}

// handleSearch finds subjects and received persons like a name (and birth date), each
// with its score and explanation. The search itself is audited.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, a *access) {
	q := r.URL.Query()
	pg := searchPage{Name: strings.TrimSpace(q.Get("name")), Born: strings.TrimSpace(q.Get("born"))}
	if pg.Name == "" {
		s.render(w, r, a, http.StatusOK, "search", "Search", pg)
		return
	}
	pg.Done = true
	if _, err := forewarn.ParsePartialDate(pg.Born); err != nil {
		pg.Error = "Birth date: write YYYY, YYYY-MM or YYYY-MM-DD."
		s.render(w, r, a, http.StatusBadRequest, "search", "Search", pg)
		return
	}
	res, err := s.Node.Search(r.Context(), a.Principal.Actor(), match.Person{Names: []string{pg.Name}, BirthDate: pg.Born}, 20, 0.5)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	for _, x := range res {
		sr := searchResult{SearchResult: x}
		if x.Kind == "subject" {
			sr.Href = "/subjects/" + x.SubjectID
		} else {
			sr.Href = "/messages/" + x.MessageID
		}
		pg.Results = append(pg.Results, sr)
	}
	s.render(w, r, a, http.StatusOK, "search", "Search", pg)
}

// networkView is a network laid out for an inline SVG.
type networkView struct {
	Width, Height int
	Nodes         []svgNode
	Edges         []svgEdge
	More          int // persons left out to keep the drawing readable
}

type svgNode struct {
	X, Y    float64
	Label   string
	Href    string
	Class   string // root, subject, person
	LabelY  float64
	Anchor  string
	Caption string
}

type svgEdge struct {
	X1, Y1, X2, Y2 float64
	MX, MY         float64
	Kind           string
	Class          string
	Title          string
}

// maxDrawn bounds the persons drawn; a subject matched hundreds of times would otherwise
// be an unreadable disc.
const maxDrawn = 24

// layoutNetwork places the subject in the middle and the persons one and two hops away on
// two circles, spread evenly: simple, stable, and readable without a layout engine.
func layoutNetwork(n *app.Network) networkView {
	v := networkView{Width: 720, Height: 460}
	cx, cy := float64(v.Width)/2, float64(v.Height)/2
	radius := map[int]float64{1: 120, 2: 200}
	byHop := map[int][]app.NetworkNode{}
	for i, nn := range n.Nodes {
		if i >= maxDrawn {
			v.More = len(n.Nodes) - maxDrawn
			break
		}
		h := min(nn.Hops, 2)
		byHop[h] = append(byHop[h], nn)
	}
	pos := map[string][2]float64{}
	for h := 0; h <= 2; h++ {
		ring := byHop[h]
		for i, nn := range ring {
			x, y := cx, cy
			if h > 0 {
				angle := -math.Pi/2 + 2*math.Pi*float64(i)/float64(len(ring)) + float64(h-1)*math.Pi/float64(max(len(ring), 1))
				x, y = cx+radius[h]*1.45*math.Cos(angle), cy+radius[h]*math.Sin(angle)
			}
			pos[nn.ID] = [2]float64{x, y}
			sn := svgNode{X: round1(x), Y: round1(y), Label: shorten(nn.Label, 26), Class: "person", Anchor: "middle", LabelY: round1(y + 24)}
			switch {
			case h == 0:
				sn.Class = "root"
			case nn.SubjectID != "":
				sn.Class = "subject"
			}
			if nn.SubjectID != "" {
				sn.Href = "/subjects/" + nn.SubjectID
				sn.Caption = "subject"
			} else if nn.MessageID != "" {
				sn.Href = "/messages/" + nn.MessageID
				sn.Caption = "in a message"
			}
			if y < cy-10 && h > 0 {
				sn.LabelY = round1(y - 16)
			}
			v.Nodes = append(v.Nodes, sn)
		}
	}
	for _, e := range n.Edges {
		a, okA := pos[e.From]
		b, okB := pos[e.To]
		if !okA || !okB {
			continue
		}
		cls := "link"
		if e.Kind == "match" {
			cls = "match"
		}
		v.Edges = append(v.Edges, svgEdge{X1: round1(a[0]), Y1: round1(a[1]), X2: round1(b[0]), Y2: round1(b[1]),
			MX: round1((a[0] + b[0]) / 2), MY: round1((a[1]+b[1])/2 - 4), Kind: strings.ReplaceAll(e.Kind, "_", " "), Class: cls, Title: e.Source})
	}
	return v
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
