package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// The API's explanation of a match that rests on a surname, with a title set aside, says
// both in its notes, as the CLI and the pages do.
func TestSearchExplainsSurnameOnlyAndTitle(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	admin := forewarn.UserActor("admin")
	if err := s.Node.Store.CreateUser(ctx, admin, &forewarn.User{Username: "ana", DisplayName: "Ana", Roles: []forewarn.Role{forewarn.RoleAnalyst}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	token, _, err := app.NewToken(ctx, s.Node, admin, "ana", forewarn.RoleAnalyst, "test")
	if err != nil {
		t.Fatal(err)
	}
	subj := &forewarn.Subject{Names: []forewarn.Name{{Value: "BELTRAN LEYVA, Alfredo", Kind: forewarn.NamePrimary}}, Watch: forewarn.WatchListed}
	if err := s.Node.Store.CreateSubject(ctx, forewarn.UserActor("ana"), subj); err != nil {
		t.Fatal(err)
	}
	if err := s.Node.LoadMatcher(ctx); err != nil {
		t.Fatal(err)
	}
	w := serve(s, "GET", "/api/v1/search?purpose=investigation&min_score=0&name="+url.QueryEscape("Haji BELTRAN LEYVA"), "127.0.0.1:5000", token, "")
	if w.Code != http.StatusOK {
		t.Fatalf("search: %d %s", w.Code, w.Body)
	}
	var body struct {
		Items []struct {
			Score       float64 `json:"score"`
			Explanation struct {
				Notes []string `json:"notes"`
			} `json:"explanation"`
		} `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	if len(body.Items) == 0 {
		t.Fatalf("no results: %s", w.Body)
	}
	r := body.Items[0]
	notes := strings.Join(r.Explanation.Notes, "\n")
	if r.Score >= 0.76 || !strings.Contains(notes, "shares only the surname BELTRAN LEYVA") || !strings.Contains(notes, `title "Haji" set aside`) {
		t.Errorf("score %.3f, notes %q: want below 0.76, the surname-only note and the title named\n%s", r.Score, notes, w.Body)
	}
}
