package web_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
)

// TestBrowserSortAndFilters: a list sorts by a click on its column's heading (a link, so
// no script is needed), says so with aria-sort, and keeps its order and filters in the
// URL: filtering keeps the order, and the URL opened again (a bookmark) shows the same
// view. Screenshots under test-output/pages/.
func TestBrowserSortAndFilters(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	for _, n := range []struct {
		name  string
		watch forewarn.WatchStatus
	}{{"Aaron Zeller", forewarn.WatchListed}, {"Zora Abidi", forewarn.WatchNone}, {"Malik Benhadj", forewarn.WatchListed}} {
		f.clock.Advance(time.Minute)
		s := &forewarn.Subject{Names: []forewarn.Name{{Value: n.name, Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1980}, Watch: n.watch}
		if _, err := f.msgs.CreateSubject(ctx, forewarn.UserActor("analyst"), s); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(time.Hour)
	second := f.receiveWarning(t, "Second notification on the fifth individual")
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	location := func() *url.URL {
		t.Helper()
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ariaSort := func(col int) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector('table.list thead th:nth-child(`+string(rune('0'+col))+`)').getAttribute('aria-sort') || '')`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	firstCell := func() string {
		t.Helper()
		return strings.TrimSpace(b.text(`table.list tbody tr:first-child td.title a`))
	}

	b.signIn(base, "analyst")
	b.run("open the subjects", chromedp.Navigate(base+"/subjects?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(`table.list`)))
	if got := ariaSort(6); got != "descending" {
		t.Errorf("the subjects list is not marked as sorted by last change: aria-sort %q", got)
	}
	b.run("sort by name", chromedp.Click(chromedp.CSS(`table.list thead th:nth-child(1) a.sort`)), chromedp.WaitVisible(chromedp.CSS(`table.list thead th:nth-child(1)[aria-sort=ascending]`)))
	if u := location(); u.Query().Get("sort") != "name" {
		t.Errorf("sorting by name led to %s", u)
	}
	if got := firstCell(); got != "Aaron Zeller" {
		t.Errorf("sorted by name, the first subject is %q", got)
	}
	b.run("sort by name, the other way", chromedp.Click(chromedp.CSS(`table.list thead th:nth-child(1) a.sort`)), chromedp.WaitVisible(chromedp.CSS(`table.list thead th:nth-child(1)[aria-sort=descending]`)))
	if got := firstCell(); got != "Zora Abidi" {
		t.Errorf("sorted by name descending, the first subject is %q", got)
	}
	b.run("filter the watch-listed", chromedp.SetValue(chromedp.CSS(`select[name=watch]`), "watchlisted"), chromedp.Click(chromedp.CSS(`form.filters button`)),
		chromedp.WaitReady(chromedp.CSS(`select[name=watch] option[value=watchlisted][selected]`)))
	u := location()
	if u.Query().Get("watch") != "watchlisted" || u.Query().Get("sort") != "-name" {
		t.Errorf("filtering lost the order or the filter is not in the URL: %s", u)
	}
	if got := firstCell(); got != "Malik Benhadj" {
		t.Errorf("the watch-listed, by name descending, begin with %q", got)
	}
	if got := b.text(`nav.pager`); !strings.Contains(got, "1–3 of 3") {
		t.Errorf("the pager says %q, want 1–3 of 3 (with the fixture's subject)", got)
	}
	b.shot(filepath.Join(shots, "lists-1-subjects-sorted-filtered.png"))
	bookmark := u.String()
	b.run("open the bookmark", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`footer`)),
		chromedp.Navigate(bookmark), chromedp.WaitVisible(chromedp.CSS(`table.list`)))
	if got := firstCell(); got != "Malik Benhadj" || ariaSort(1) != "descending" {
		t.Errorf("the bookmarked view shows %q first, aria-sort %q", got, ariaSort(1))
	}

	b.signIn(base, "liaison")
	b.run("open the inbox", chromedp.Navigate(base+"/inbox"), chromedp.WaitVisible(chromedp.CSS(`table.list`)))
	if got := ariaSort(5); got != "ascending" {
		t.Errorf("the inbox is not marked as sorted by deadline: aria-sort %q", got)
	}
	b.run("sort by date", chromedp.Click(chromedp.CSS(`table.list thead th:nth-child(3) a.sort`)), chromedp.WaitVisible(chromedp.CSS(`table.list thead th:nth-child(3)[aria-sort=descending]`)))
	if got := location().Query().Get("sort"); got != "-date" {
		t.Errorf("sorting by date led to sort=%q", got)
	}
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('table.list tbody tr:first-child td.title a').getAttribute('href')`))
	if err != nil || href != "/messages/"+second {
		t.Errorf("newest first, the first message is %q (%v), want the second warning", href, err)
	}
	b.run("filter notifications", chromedp.SetValue(chromedp.CSS(`select[name=kind]`), "notification"), chromedp.Click(chromedp.CSS(`form.filters button`)),
		chromedp.WaitReady(chromedp.CSS(`select[name=kind] option[value=notification][selected]`)))
	if q := location().Query(); q.Get("kind") != "notification" || q.Get("sort") != "-date" {
		t.Errorf("the inbox's filter and order are not in the URL: %v", q)
	}
	if got := ariaSort(3); got != "descending" {
		t.Errorf("after filtering the inbox is not sorted by date: aria-sort %q", got)
	}
	b.shot(filepath.Join(shots, "lists-2-inbox-by-date.png"))
}

// TestBrowserReloadCreatesNothing: creating a user and creating a token post, redirect and
// show the one-time secret once; reloading the page creates nothing more and no longer
// shows the secret, which never was in the URL. Screenshots under test-output/pages/.
func TestBrowserReloadCreatesNothing(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	secretShown := func() bool {
		t.Helper()
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('code.secret').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	noSecretInURL := func(secret string) {
		t.Helper()
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if secret == "" || strings.Contains(loc, secret) || strings.Contains(loc, url.QueryEscape(secret)) {
			t.Errorf("the secret %q is in the URL %s, or none was shown", secret, loc)
		}
	}

	b.signIn(base, "admin2")
	users := func() int {
		us, err := f.node.Store.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(us)
	}
	before := users()
	b.run("create a user", chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "desk3"), chromedp.Click(chromedp.CSS(`input[name=roles][value=liaison]`)),
		chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button.primary`)), chromedp.WaitVisible(chromedp.CSS(`code.secret`)))
	password := b.text(`code.secret`)
	noSecretInURL(password)
	b.shot(filepath.Join(shots, "reload-1-user-created.png"))
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`footer`)))
	b.run("reload again", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`footer`)))
	if n := users(); n != before+1 {
		t.Errorf("creating a user and reloading twice made %d users, want 1", n-before)
	}
	if secretShown() {
		t.Error("the one-time password is shown again after a reload")
	}

	b.signIn(base, "liaison")
	tokens := func() int {
		ts, err := f.node.Store.Tokens(ctx, "liaison")
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	b.run("create a token", chromedp.Navigate(base+"/tokens"), chromedp.WaitVisible(chromedp.CSS(`form[action="/tokens"] input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/tokens"] input[name=name]`), "cli on desk 3"),
		chromedp.Click(chromedp.CSS(`form[action="/tokens"] button.primary`)), chromedp.WaitVisible(chromedp.CSS(`code.secret`)))
	noSecretInURL(b.text(`code.secret`))
	b.shot(filepath.Join(shots, "reload-2-token-created.png"))
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`footer`)))
	b.run("reload again", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`footer`)))
	if n := tokens(); n != 1 {
		t.Errorf("creating a token and reloading twice made %d tokens, want 1", n)
	}
	if secretShown() {
		t.Error("the token's secret is shown again after a reload")
	}
}

// TestMatchesList: the matches list shows the matches waiting for review by default, sorts
// by score or date from its headings, filters by review state in the URL, and is the
// reviewers' only.
func TestMatchesList(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("analyst")
	b.get("/matches?purpose=investigation") // the list names persons for a purpose, remembered a while
	st, body := b.get("/matches")
	if st != 200 || !strings.Contains(body, "Ismaël Omar Mostefaï") || !strings.Contains(body, `href="/messages/`+f.warningID+`#matches"`) {
		t.Fatalf("the matches list (status %d) does not show the warning's match with its subject and message", st)
	}
	if !strings.Contains(body, `aria-sort="descending"><a class="sort" href="/matches?sort=created">Found`) {
		t.Error("the list is not marked as sorted by date, newest first, with a link to sort the other way")
	}
	if _, body = b.get("/matches?sort=-score"); !strings.Contains(body, `aria-sort="descending"><a class="sort" href="/matches?sort=score">Score`) {
		t.Error("sorted by score, the Score heading is not marked")
	}
	if _, body = b.get("/matches?status=confirmed"); !strings.Contains(body, "No matches.") || !strings.Contains(body, `<option value="confirmed" selected>`) {
		t.Error("filtering the confirmed matches does not show the filter or the empty list")
	}
	if st, _ := b.get("/matches?sort=alphabetical"); st != 400 {
		t.Errorf("an unknown order: status %d, want 400", st)
	}
	l := f.browser(t)
	l.login("liaison")
	if st, _ := l.get("/matches"); st != 403 {
		t.Errorf("a liaison officer opening the matches list: status %d, want 403", st)
	}
}
