package web

import (
	"net/http"
	"strings"

	"github.com/forewarn/forewarn"
)

// privatePage is "Ask privately": the form, the last answer, and both sides' records.
type privatePage struct {
	CanAsk   bool
	Peers    []*forewarn.Peer
	Peer     string
	Subjects string
	Persons  string
	Error    string
	Asked    []*forewarn.PrivateQuery
	Out, In  []*forewarn.PrivateQuery
	// Purpose: the subjects that matched partners' questions, and the persons this node
	// asked about, are named only for a purpose, like every list of subjects.
	Purpose listPurpose
	// Names are the names of this node's subjects that matched, by ID, read for the
	// purpose given (each read audited); empty while they are withheld.
	Names map[string]string
}

// handlePrivate shows the page; ?subject=ID fills the form from a subject's page.
func (s *Server) handlePrivate(w http.ResponseWriter, r *http.Request, a *access) {
	s.showPrivate(w, r, a, http.StatusOK, privatePage{Subjects: r.URL.Query().Get("subject"), Peer: r.URL.Query().Get("peer")})
}

func (s *Server) showPrivate(w http.ResponseWriter, r *http.Request, a *access, status int, pg privatePage) {
	ctx := r.Context()
	pg.CanAsk = s.Messages != nil && a.Principal.Can(forewarn.PermSendMessages)
	var err error
	if pg.Peers, err = s.Node.Store.Peers(ctx); err == nil {
		if pg.Out, err = s.Node.Store.PrivateQueries(ctx, forewarn.DirectionOut, 50); err == nil {
			pg.In, err = s.Node.Store.PrivateQueries(ctx, forewarn.DirectionIn, 50)
		}
	}
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	// A purpose given for reading subjects covers this page: each subject it names is
	// read, and that read audited, with the purpose.
	ctx, lp, err := s.listConsult(r, a, "subject.read", "subject", "/private")
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if lp.Form != nil {
		lp.Form.Button = msg("Show")
	}
	pg.Purpose, pg.Names = lp, map[string]string{}
	if lp.Withheld {
		pg.Out = withholdLabels(pg.Out)
	} else {
		for _, q := range pg.In {
			for _, res := range q.Results {
				if _, seen := pg.Names[res.SubjectID]; seen || res.SubjectID == "" {
					continue
				}
				sub, err := s.Node.Store.Subject(ctx, a.Principal.Actor(), res.SubjectID)
				switch {
				case err == nil:
					pg.Names[res.SubjectID] = sub.PrimaryName()
				case forewarn.ErrorCode(err) == forewarn.ENOTFOUND:
					pg.Names[res.SubjectID] = "" // erased since: said so
				default:
					s.fail(w, r, a, err)
					return
				}
			}
		}
	}
	s.render(w, r, a, status, "private", msg("Ask privately"), pg)
}

// withholdLabels returns copies of this node's queries without the names its users gave
// the persons they asked about.
func withholdLabels(qs []*forewarn.PrivateQuery) []*forewarn.PrivateQuery {
	out := make([]*forewarn.PrivateQuery, len(qs))
	for i, q := range qs {
		c := *q
		c.Results = make([]forewarn.PrivateResult, len(q.Results))
		for j, res := range q.Results {
			res.Label, res.SubjectID = "", ""
			c.Results[j] = res
		}
		out[i] = &c
	}
	return out
}

// handleAskPrivately asks the chosen partner about the subjects and persons of the form.
func (s *Server) handleAskPrivately(w http.ResponseWriter, r *http.Request, a *access) {
	pg := privatePage{Peer: r.PostFormValue("peer"), Subjects: r.PostFormValue("subjects"), Persons: r.PostFormValue("persons")}
	if s.Messages == nil {
		pg.Error = msg("This node does not exchange messages.")
		s.showPrivate(w, r, a, http.StatusBadRequest, pg)
		return
	}
	var ids []string
	for _, l := range strings.Split(pg.Subjects, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ids = append(ids, l)
		}
	}
	var persons []forewarn.PersonDescriptor
	for i, l := range strings.Split(pg.Persons, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		d, err := privatePerson(l)
		if err != nil {
			pg.Error = localeOf(r.Context()).T("Person line %d: %s", i+1, errText(r.Context(), err))
			s.showPrivate(w, r, a, http.StatusBadRequest, pg)
			return
		}
		persons = append(persons, d)
	}
	// The form names one partner; the subject page may choose several.
	peers := r.PostForm["peer"]
	if len(peers) == 0 {
		pg.Error = "Choose the partner to ask."
		s.showPrivate(w, r, a, http.StatusBadRequest, pg)
		return
	}
	var refused []string
	status := http.StatusOK
	for _, peer := range peers {
		q, err := s.Messages.AskPrivatelyAbout(r.Context(), a.Principal.Actor(), peer, ids, persons)
		if err != nil {
			refused = append(refused, peer+": "+errText(r.Context(), err))
			status = httpStatus(err)
			continue
		}
		pg.Asked = append(pg.Asked, q)
	}
	if len(refused) > 0 {
		pg.Error = strings.Join(refused, " ")
		if len(pg.Asked) > 0 {
			status = http.StatusOK
		}
	}
	if len(pg.Asked) > 0 {
		pg.Subjects, pg.Persons = "", ""
	}
	s.showPrivate(w, r, a, status, pg)
}

// privatePerson reads one line of the form: NAME; alias=NAME; born=YYYY[-MM[-DD]]; nationality=CC.
func privatePerson(line string) (forewarn.PersonDescriptor, error) {
	parts := strings.Split(line, ";")
	d := forewarn.PersonDescriptor{Names: []forewarn.Name{{Value: strings.TrimSpace(parts[0]), Kind: forewarn.NamePrimary}}}
	if d.Names[0].Value == "" {
		return d, forewarn.Invalid("name", "required", "the line starts with the person's name")
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return d, forewarn.Invalid(k, "key_value", "%q is not key=value (born, nationality, alias)", strings.TrimSpace(p))
		case k == "born":
			date, err := forewarn.ParsePartialDate(v)
			if err != nil {
				return d, forewarn.Invalid("born", "date", "born=%s: want YYYY, YYYY-MM or YYYY-MM-DD", v)
			}
			d.BirthDate = date
		case k == "nationality":
			d.Nationalities = append(d.Nationalities, strings.ToUpper(v))
		case k == "alias":
			d.Names = append(d.Names, forewarn.Name{Value: v, Kind: forewarn.NameAlias})
		default:
			return d, forewarn.Invalid(k, "key", "unknown key %q (born, nationality, alias)", k)
		}
	}
	return d, nil
}
