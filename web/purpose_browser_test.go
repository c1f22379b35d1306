package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPurposePrompt walks the purpose prompt in Chromium, with screenshots under
// test-output/pages/: an analyst opens a subject and is asked why (the record's name is
// nowhere on the prompt), chooses "other" and is told it needs a few words, gives them,
// sees the record with what it was opened for; oversight then finds the consultation,
// with its purpose, in the oversight report.
func TestBrowserPurposePrompt(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "analyst")

	b.run("open the subject", chromedp.Navigate(base+"/subjects/"+f.subjectID), chromedp.WaitVisible(chromedp.CSS(`#purpose-form`)))
	if got := b.text("main"); strings.Contains(got, "Mostefa") || !strings.Contains(got, "Why are you opening") {
		t.Errorf("the prompt shows %q; want the question and no name", got)
	}
	if got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#purpose-form select[name=purpose]`))); err != nil || got != "investigation" {
		t.Errorf("the analyst's default purpose is not chosen: %q %v", got, err)
	}
	b.shot(filepath.Join(shots, "purpose-1-prompt.png"))

	b.run("choose other without saying why", chromedp.SetValue(chromedp.CSS(`#purpose-form select[name=purpose]`), "other"),
		chromedp.Click(chromedp.CSS(`#purpose-form button`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-error`)))
	if got := b.text("#purpose-error"); !strings.Contains(got, "needs a few words") {
		t.Errorf("other without text says %q", got)
	}
	b.shot(filepath.Join(shots, "purpose-2-needs-text.png"))

	b.run("say why", chromedp.SetValue(chromedp.CSS(`#purpose-form select[name=purpose]`), "other"),
		chromedp.SendKeys(chromedp.CSS(`#purpose-form input[name=purpose_text]`), "tip from the border police"),
		chromedp.Click(chromedp.CSS(`#purpose-form button`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-note`)))
	if got := b.text("h1"); !strings.Contains(got, "Ismaël Omar Mostefaï") {
		t.Errorf("after the purpose the page's heading is %q; want the subject", got)
	}
	if got := b.text("#purpose-note"); !strings.Contains(got, "other — tip from the border police") {
		t.Errorf("the record says it was opened for %q", got)
	}
	b.shot(filepath.Join(shots, "purpose-3-record.png"))

	// The next click on the record does not ask again.
	b.run("open it again", chromedp.Navigate(base+"/subjects/"+f.subjectID), chromedp.WaitVisible(chromedp.CSS(`#purpose-note`)))

	b.signIn(base, "oversight")
	b.run("open the oversight report", chromedp.Navigate(base+"/oversight"), chromedp.WaitVisible(chromedp.CSS("footer")))
	if got := b.text("main"); !strings.Contains(got, "other — tip from the border police") || !strings.Contains(got, "subject.read") {
		t.Errorf("the oversight report does not list the consultation with its purpose:\n%s", got)
	}
	b.shot(filepath.Join(shots, "purpose-4-oversight.png"))
}

// TestBrowserMessagePurpose walks the purpose of access for a person Turkey sent, in
// Chromium, with screenshots under test-output/pages/: the liaison officer's inbox says
// "you hold this person" without naming whom, and names the subject once a purpose is
// chosen in its filter form; the warning asks why before it opens (naming no one, the
// liaison officer's purpose chosen), one click opens it; oversight finds both
// consultations, with their purposes, in the oversight report.
func TestBrowserMessagePurpose(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "liaison")

	b.run("open the inbox", chromedp.Navigate(base+"/inbox"), chromedp.WaitVisible(chromedp.CSS(`#details-withheld`)))
	if got := b.text("main"); strings.Contains(got, "Mostefa") || !strings.Contains(strings.ToLower(got), "you hold this person") {
		t.Errorf("the inbox without a purpose shows %q; want the held person flagged, not named", got)
	}
	b.shot(filepath.Join(shots, "purpose-5-inbox-withheld.png"))
	b.run("give the inbox a purpose", chromedp.SetValue(chromedp.CSS(`form.filters select[name=purpose]`), "threat-assessment"),
		chromedp.Click(chromedp.CSS(`form.filters button`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-note`)))
	if got := b.text("a.held-subject"); !strings.Contains(got, "Ismaël Omar Mostefaï") {
		t.Errorf("with a purpose the inbox names the subject held as %q", got)
	}

	b.run("open the warning", chromedp.Click(chromedp.Search(`//a[contains(., "Fifth individual identified")]`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-form`)))
	if got := b.text("main"); strings.Contains(got, "Mostefa") || !strings.Contains(got, "Why are you opening") {
		t.Errorf("the prompt shows %q; want the question and no name", got)
	}
	if got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#purpose-form select[name=purpose]`))); err != nil || got != "liaison-request" {
		t.Errorf("the liaison officer's default purpose is not chosen: %q %v", got, err)
	}
	b.shot(filepath.Join(shots, "purpose-6-message-prompt.png"))
	b.run("open it for the default purpose", chromedp.Click(chromedp.CSS(`#purpose-form button`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-note`)))
	if got := b.text("main"); !strings.Contains(got, "Omar Ismail Mostefai") || !strings.Contains(b.text("#purpose-note"), "liaison-request") {
		t.Errorf("after the purpose the warning shows %q; want the person and what it was opened for", got)
	}
	b.shot(filepath.Join(shots, "purpose-7-message.png"))

	b.signIn(base, "oversight")
	b.run("open the oversight report", chromedp.Navigate(base+"/oversight"), chromedp.WaitVisible(chromedp.CSS("footer")))
	if got := b.text("main"); !strings.Contains(got, "liaison-request") || !strings.Contains(got, "threat-assessment") {
		t.Errorf("the oversight report does not list the liaison officer's consultations with their purposes:\n%s", got)
	}
}
