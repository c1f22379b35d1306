package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/web"
)

// frenchPages are the main pages a French analyst, liaison officer and supervisor work in,
// with French words each must show.
type frenchPage struct {
	name, user, path string
	want             []string
}

var frenchPages = []frenchPage{
	{"inbox", "liaison", "/inbox", []string{"Réception", "Échéance", "Priorité", "Personne d’intérêt connue de nos services", "avertissement", "en retard de", "Se déconnecter"}},
	{"outbox", "liaison", "/outbox", []string{"Envois", "Aucun message."}},
	{"alerts", "liaison", "/alerts?purpose=liaison-request", []string{"Alertes", "Pas de notre ressort", "Enregistrer le motif", "Vous détenez cette personne : message (avertissement)", "correspond à votre fiche sous surveillance",
		"Message (avertissement) de TR-MIT sans accusé de réception : l’échéance était le 2 déc. 2014 09:00 UTC", "(ordre différent, diacritiques)"}},
	{"message", "liaison", "/messages/{warning}?purpose=liaison-request", []string{"Message reçu : avertissement", "Remise et accusé de réception", "Accuser réception", "Correspondances", "Éléments de nom mis en regard", "Relances", "étape 1", "déc. 2014", "Message (avertissement) de TR-MIT sans accusé de réception", "0,96 : \"Omar Ismail Mostefai\" ~ \"Ismaël Omar Mostefaï\" (ordre différent"}},
	{"compose", "liaison", "/compose", []string{"Rédiger", "Destinataires", "Vérifier les personnes", "Diffusion"}},
	{"settings", "liaison", "/settings", []string{"Vos réglages", "Langue des pages", "Français"}},
	{"overdue", "supervisor", "/overdue", []string{"En retard", "Avertissements et demandes dont l’échéance est passée"}},
	{"subjects", "analyst", "/subjects", []string{"Fiches", "Nouvelle fiche", "sous surveillance", "Nationalité"}},
	{"subject-purpose", "analyst", "/subjects/{subject}?ask=1", []string{"Finalité de la consultation", "Pourquoi ouvrez-vous cette fiche ?", "Ouvrir la fiche"}},
	{"subject", "analyst", "/subjects/{subject}?purpose=investigation", []string{"Identité", "21 nov. 1985", "Éléments contradictoires", "entrée en", "Chronologie", "Réseau", "Enregistrer un élément", "nom principal", "correspondance · score 0,96",
		"Entrée en TR : FR-DGSI indique 2012 (B3), TR-MIT / border records indique 2013 (B2)", "Fiche \"Ismaël Omar Mostefaï\" enregistrée, sous surveillance",
		"Réception : avertissement de TR-MIT à FR-DGSI (urgent) : Fifth individual identified", "Correspondance : 0,", "Relance (étape 1, côté destinataire", "— côté destinataire, liaison"}},
	{"subject-partial", "analyst", "/subjects/{partial}?purpose=investigation", []string{"octobre 1987", "septembre 2013", "Ouverte pour : Enquête"}},
	{"subject-new", "analyst", "/subjects/new", []string{"Nouvelle fiche", "Nom principal", "Enregistrer la fiche"}},
	{"search", "analyst", "/search?purpose=investigation&name=Mostefai", []string{"Recherche", "Ismaël Omar Mostefaï", "\"Mostefai\" ~ \"Ismaël Omar Mostefaï\""}},
	{"search-empty", "analyst", "/search?name=Zzyzx+Qwerty", []string{"Personne qui ressemble à « Zzyzx Qwerty »", "Essayez :"}},
	{"audit", "oversight", "/audit", []string{"Journal d’audit", "Vérifier tout le journal", "Auteur", "identifiant analyst", "avertissement de TR-MIT à FR-DGSI"}},
	{"subject-history", "analyst", "/subjects/{subject}/history?purpose=investigation", []string{"Historique de la fiche", "fiche "}},
	{"oversight", "oversight", "/oversight", []string{"Rapport de contrôle", "Par partenaire"}},
	{"users", "admin2", "/admin/users", []string{"Utilisateurs", "Créer un utilisateur", "analyste"}},
	{"peers", "admin2", "/admin/peers", []string{"Partenaires", "clé complète"}},
	{"agreements", "admin2", "/admin/agreements", []string{"Accords de partage", "Types de messages qu’il peut recevoir", "Enregistrer l’accord avec TR-MIT"}},
}

// recorded are the pages showing what the core wrote and stored (audit details, the
// oversight report, alerts, escalations, timeline, conflicts, match summaries, delivery
// states), which must read in French too.
var recorded = map[string]bool{"audit": true, "subject-history": true, "oversight": true, "alerts": true, "subject": true, "message": true, "search": true, "subject-partial": true}

// TestFrenchPagesInBrowser signs in as French users and walks the main pages in Chromium,
// then every other page at desktop width: each says <html lang="fr">, shows its French
// words, leaves no English of the catalogue and no stored code on the screen, writes
// dates the French way, and the main ones are no wider than a 390 px phone (French words
// are longer). Text the core wrote in English that no code reads back is marked
// lang="en" and left out of the look for English, except on the pages of records (audit,
// history, oversight, and audit pages seeded with an entry of every kind), where none may
// be left; a validation error of the core on the
// compose form is French. Screenshots go under test-output/pages/fr-*.png.
func TestFrenchPagesInBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	for _, name := range []string{"liaison", "analyst", "supervisor", "oversight", "admin2"} {
		u, err := f.node.Store.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		u.Language = "fr"
		if err := f.node.Store.UpdateUser(ctx, forewarn.UserActor(name), u); err != nil {
			t.Fatal(err)
		}
	}
	// An alert and an escalation stored before phrases (migration 0320): their English
	// only, as the code of then wrote it. The alerts and message pages must say them in
	// French, read back from that English.
	deadline := time.Date(2014, 12, 2, 9, 0, 0, 0, time.UTC)
	oldEscalation := &forewarn.Escalation{MessageID: f.warningID, Agency: "FR-DGSI", Side: forewarn.SideRecipient, Step: 7, Notify: forewarn.RoleLiaison,
		Text: fmt.Sprintf("%s from %s is not acknowledged: it was due by %s. Read it and acknowledge it.", forewarn.KindNotification, "TR-MIT", deadline.Format("2 Jan 2006 15:04 MST")), FiredAt: deadline}
	if err := f.node.Store.Escalate(ctx, oldEscalation, time.Time{}); err != nil {
		t.Fatalf("an escalation stored before phrases: %v", err)
	}
	oldAlert := &forewarn.Alert{Role: forewarn.RoleLiaison, Kind: "match", MessageID: f.warningID, SubjectID: f.subjectID, CreatedAt: deadline,
		Text: fmt.Sprintf("You hold this person: %s matches your watch-listed subject %q (%s).",
			fmt.Sprintf("%s %s from %s about %q", forewarn.KindNotification, f.warningID, "TR-MIT", "Omar Ismail Mostefai"), "Ismaël Omar Mostefaï",
			fmt.Sprintf("%.2f: %q ~ %q (%s)", 0.96, "Omar Ismail Mostefai", "Ismaël Omar Mostefaï", "reordered, diacritics"))}
	if err := f.node.Store.CreateMatches(ctx, forewarn.SystemActor("matcher"), nil, []*forewarn.Alert{oldAlert}); err != nil {
		t.Fatalf("an alert stored before phrases: %v", err)
	}
	// A person known to a month: born March 1985, entered Turkey in March 2012.
	partial := &forewarn.Subject{Names: []forewarn.Name{{Value: "Samy Amimour", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1987, Month: 10}}
	if _, err := f.msgs.CreateSubject(ctx, forewarn.UserActor("analyst"), partial); err != nil {
		t.Fatal(err)
	}
	if err := f.node.Store.CreateClaim(ctx, forewarn.UserActor("analyst"), &forewarn.Claim{SubjectID: partial.ID, Kind: forewarn.ClaimTravelEntry, Value: "TR",
		ValidFrom: forewarn.PartialDate{Year: 2013, Month: 9}, Source: forewarn.Source{Agency: "FR-DGSI"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}); err != nil {
		t.Fatal(err)
	}
	ids := strings.NewReplacer("{warning}", f.warningID, "{subject}", f.subjectID, "{partial}", partial.ID)
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// English a French reader must never meet: every catalogue key French writes
	// otherwise, as whole words, sentences and phrases of two words or more (single
	// words such as "Message" may be a partner's own text).
	var leftovers []phraseLook
	for _, k := range web.EnglishPhraseParts() {
		leftovers = append(leftovers, newPhraseLook(k, `\W`))
	}
	for _, k := range web.EnglishKeys() {
		// "border records" is also the fixture's named source of a claim: data, not a label.
		if strings.Contains(k, "%") || len(strings.Fields(k)) < 2 || k == "border records" {
			continue
		}
		leftovers = append(leftovers, newPhraseLook(k, `\W`))
	}
	if len(leftovers) < 200 {
		t.Fatalf("only %d English phrases to look for", len(leftovers))
	}
	// A stored code shown as it is stored: snake_case, or the dotted names of actions.
	rawCode := regexp.MustCompile(`\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b`)
	englishDate := regexp.MustCompile(`\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b|\b(January|February|March|April|June|July|August|September|October|November|December) \d{4}\b`)
	// A date of a person written as it is stored (1985-11-21, 1987-10) rather than in words.
	// The page's own text is looked at, not what a person types into its forms: a date of
	// birth in a text box (the private query's "born=1985-11-21") is written in the form's
	// syntax on purpose, and is taken out of the text before the look. Everywhere else a
	// person's date is in words, as the subject page's "21 nov. 1985" shows.
	isoDate := regexp.MustCompile(`\b(19|20)\d\d-[01]\d(-[0-3]\d)?\b`)
	if !isoDate.MatchString("né le 1985-11-21 à Courcouronnes") || !isoDate.MatchString("entré en 1987-10") || isoDate.MatchString("sdn-v7 du 21 nov. 1985") {
		t.Fatal("the look for dates written as stored does not tell them from dates in words")
	}

	// Then every other page of the site, at desktop width, for English and raw codes.
	pages := append([]frenchPage{}, frenchPages...)
	walked, once := map[string]bool{}, map[string]bool{} // once: at desktop width only
	for _, p := range frenchPages {
		walked[p.path] = true
	}
	for _, p := range everyPage {
		path := strings.ReplaceAll(p.path, "{second}", "{warning}")
		if p.user != "" && !walked[path] {
			pages = append(pages, frenchPage{name: p.name, user: p.user, path: path})
			once[p.name] = true
		}
	}

	// Then an audit page of entries of every kind, and refusals quoting every reason.
	pages = append(pages, seedEveryAuditKind(t, f)...)

	b := newChrome(t, exe)
	user := ""
	for _, p := range pages {
		if setup := pageSetup[p.name]; setup != nil {
			setup()
			delete(pageSetup, p.name)
		}
		if p.user != user {
			b.signIn(f.srv.URL, p.user)
			user = p.user
		}
		for _, w := range []int64{1366, 390} {
			if once[p.name] && w != 1366 {
				continue
			}
			b.run("open "+p.path, chromedp.EmulateViewport(w, 844), chromedp.Navigate(f.srv.URL+ids.Replace(p.path)), chromedp.WaitVisible(chromedp.CSS("footer")))
			lang, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
			if err != nil || lang != "fr" {
				t.Errorf("%s: <html lang=%q>, want fr (%v)", p.name, lang, err)
			}
			wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if wide > int(w) {
				culprits, _ := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll, nav.main')).slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')`))
				t.Errorf("%s in French at %d px is %d px wide: %v", p.name, w, wide, culprits)
			}
			b.shot(filepath.Join(shots, fmt.Sprintf("fr-%s-%d.png", p.name, w)))
			if w != 1366 {
				continue
			}
			text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
				const b = document.body.cloneNode(true);
				b.querySelectorAll('[lang=en], textarea').forEach(e => e.remove());
				const said = [...b.querySelectorAll('[title],[placeholder],[aria-label]')].map(e => [e.title, e.placeholder, e.getAttribute('aria-label')].filter(Boolean).join("\n"));
				return b.textContent.replace(/\s+/g, " ") + "\n" + said.join("\n");
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			// Pages that show what the core wrote show it in French: nothing is left in
			// English on the fixture's data.
			if recorded[p.name] {
				en, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main [lang=en]:not(.detail)')].map(e => e.textContent)`))
				if err != nil || len(en) > 0 {
					t.Errorf("%s: text left in English: %q (%v)", p.name, en, err)
				}
			}
			for _, want := range p.want {
				if !strings.Contains(text, want) {
					t.Errorf("%s: the French page lacks %q", p.name, want)
				}
			}
			for _, l := range leftovers {
				if m := l.find(text); m != "" {
					t.Errorf("%s: English left on the French page: %q", p.name, strings.TrimSpace(m))
				}
			}
			if m := englishDate.FindString(text); m != "" {
				t.Errorf("%s: a date written the English way: %q", p.name, m)
			}
			if m := isoDate.FindString(strings.SplitN(text, "\n", 2)[0]); m != "" {
				t.Errorf("%s: a date written as stored, not in words: %q", p.name, m)
			}
			// (on the page itself: a title may name the code, as the audit filter takes it)
			var raw []string
			for _, m := range rawCode.FindAllString(strings.SplitN(text, "\n", 2)[0], -1) {
				if !strings.HasSuffix(m, ".md") { // a document's file name, such as docs/private-match.md
					raw = append(raw, m)
				}
			}
			if raw != nil {
				t.Errorf("%s: codes shown raw: %q", p.name, raw)
			}
		}
	}

	// A validation error of the core, on the compose form, is said in French beside the
	// field at fault: a deadline before the message is written.
	b.signIn(f.srv.URL, "liaison")
	b.run("compose a late warning", chromedp.EmulateViewport(1366, 844), chromedp.Navigate(f.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.CSS("#compose")),
		chromedp.SendKeys(chromedp.CSS(`input[name=title]`), "Essai"), chromedp.Click(chromedp.CSS(`input[name=to]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=deadline]`), "2000-01-01T00:00"), chromedp.SendKeys(chromedp.CSS(`input[name=p0_name]`), "Omar Ismail Mostefai"),
		chromedp.Click(chromedp.CSS(`button[value=send]`)), chromedp.WaitVisible(chromedp.CSS(`.field-error`)))
	b.shot(filepath.Join(shots, "fr-compose-error-1366.png"))
	if got := b.text("#compose"); !strings.Contains(got, "l’échéance doit venir après la rédaction du message") {
		t.Errorf("the compose form's error in French: %q", got)
	}

	// Every error a French user meets is French: a rule the core had no words for, a
	// conflict, a refusal, a page not found, and the sign-in page's errors.
	frenchError := func(name, sel string, want ...string) {
		t.Helper()
		b.shot(filepath.Join(shots, "fr-error-"+name+"-1366.png"))
		got := b.text(sel)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", name, got, w)
			}
		}
		for _, l := range leftovers {
			if m := l.find(got); m != "" {
				t.Errorf("%s: English left in the error: %q", name, strings.TrimSpace(m))
			}
		}
		if raw := rawCode.FindAllString(got, -1); raw != nil {
			t.Errorf("%s: codes shown raw: %q", name, raw)
		}
		if lang, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || lang != "fr" {
			t.Errorf("%s: <html lang=%q>, want fr (%v)", name, lang, err)
		}
	}
	submit := func(what, js, wait string) {
		t.Helper()
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b.run(what, chromedp.WaitVisible(chromedp.CSS(wait)))
	}
	b.signIn(f.srv.URL, "analyst")
	subject := f.srv.URL + "/subjects/" + f.subjectID + "?purpose=investigation"
	// A link from a subject to itself: the rule "distinct" had no sentence.
	b.run("open the subject", chromedp.Navigate(subject), chromedp.WaitVisible(chromedp.CSS("#watch")))
	submit("link the subject to itself", `(() => { const f = document.createElement('form'); f.method = 'post'; f.action = location.pathname + '/links';
		for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['to', '`+f.subjectID+`'], ['kind', 'associate_of'], ['grading', 'B2']]) {
			const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }
		document.body.appendChild(f); f.submit(); return true; })()`, "footer")
	frenchError("rule", "main", "une fiche ne peut pas être liée à elle-même")
	// Watch-listing a subject that is watch-listed already: a conflict.
	b.run("open the subject again", chromedp.Navigate(subject), chromedp.WaitVisible(chromedp.CSS("#watch")))
	submit("watch-list it again", `(() => { const f = document.querySelector('#watch'); f.querySelector('input[name=watch]').value = '1';
		const r = f.querySelector('[name=reason]'); if (r) { r.value = 'encore'; } f.submit(); return true; })()`, "footer")
	frenchError("conflict", "main", "est déjà : sous surveillance")
	// A message that does not exist.
	b.run("open a message that is not", chromedp.Navigate(f.srv.URL+"/messages/0149a3e2-7c00-7000-8000-000000000001?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS("footer")))
	frenchError("not-found", "main", "Introuvable", "aucun message")
	// A liaison officer giving a message to someone else: only a supervisor may.
	b.signIn(f.srv.URL, "liaison")
	b.run("open the warning", chromedp.Navigate(f.srv.URL+"/messages/"+f.warningID+"?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS("#take")))
	submit("assign it to the analyst", `(() => { const f = document.querySelector('#take'); const i = document.createElement('input'); i.type = 'hidden'; i.name = 'username'; i.value = 'analyst';
		f.appendChild(i); f.submit(); return true; })()`, "footer")
	frenchError("forbidden", "main", "seul un superviseur confie un message à quelqu’un d’autre")

	// The sign-in page: a French user's session ends (the node's clock passes its end),
	// and the page says so in French, remembered from the last sign-in; a wrong password
	// is French too.
	f.clock.Advance(13 * time.Hour)
	b.run("open the inbox after the session's end", chromedp.Navigate(f.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	frenchError("session-ended", "main", "Votre session a pris fin ; reconnectez-vous.")
	b.run("sign in with a wrong password", chromedp.Navigate(f.srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)), chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "liaison"), chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "not the password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`.form-error`)))
	frenchError("wrong-password", "main", "Identifiant ou mot de passe erroné.", "Mot de passe")
	// The page's own choice of language: English, then French again.
	b.run("choose English on the sign-in page", chromedp.Click(chromedp.CSS(`nav.languages a[lang=en]`)), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	if lang, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("the sign-in page after choosing English: lang=%q", lang)
	}
	b.shot(filepath.Join(shots, "fr-error-login-english-1366.png"))
}
