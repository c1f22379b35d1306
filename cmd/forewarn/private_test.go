package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/match"
)

// wiretap is a TCP proxy on loopback that keeps every byte that crosses it, both ways.
type wiretap struct {
	ln  net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

func newWiretap(t *testing.T, target string) *wiretap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wiretap{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go w.relay(c, target)
		}
	}()
	return w
}

func (w *wiretap) relay(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst io.Writer, src io.Reader) {
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				w.mu.Lock()
				w.buf.Write(buf[:n])
				w.mu.Unlock()
				if _, err := dst.Write(buf[:n]); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
}

func (w *wiretap) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// partForms are the forms of a name's parts someone might hash: as written, lower and
// upper case, without diacritics, and the matcher's normalised, spelling, phonetic and
// skeleton keys.
func partForms(names ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, n := range names {
		add(n)
		add(strings.ToLower(n))
		add(strings.ToUpper(n))
		for _, w := range strings.Fields(n) {
			add(w)
			add(strings.ToLower(w))
			add(strings.ToUpper(w))
		}
		for _, t := range match.Normalize(n) {
			add(t)
			add(strings.ToUpper(t))
			add(match.SpellingKey(t))
			add(match.PhoneticKey(t))
			add(match.Skeleton(t))
		}
		add(strings.Join(match.Normalize(n), " "))
	}
	return out
}

// digests are the unsalted hashes of s, raw.
func digests(s string) [][]byte {
	a, b, c, d := sha256.Sum256([]byte(s)), sha1.Sum([]byte(s)), md5.Sum([]byte(s)), sha512.Sum512([]byte(s))
	return [][]byte{a[:], b[:], c[:], d[:]}
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9_\-+/]{24,}`)

// findLeaks searches wire bytes for the names, their parts in every form, and any
// unsalted hash of them: in hex (either case), in base64 (standard or URL, padded or
// not), and raw inside every base64 run on the wire once decoded.
//
// Names are searched outside the base64 runs (random bytes spell any three letters
// somewhere in megabytes of base64); the runs are searched for hashes, decoded.
func findLeaks(wire []byte, names ...string) []string {
	lower := bytes.ToLower(wire)
	text := bytes.ToLower(base64Run.ReplaceAll(wire, []byte(" ")))
	var decoded [][]byte
	for _, run := range base64Run.FindAll(wire, -1) {
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.StdEncoding} {
			if b, err := enc.DecodeString(string(run)); err == nil {
				decoded = append(decoded, b)
			}
		}
	}
	var leaks []string
	for _, f := range partForms(names...) {
		if len(f) >= 3 && bytes.Contains(text, bytes.ToLower([]byte(f))) {
			leaks = append(leaks, "the text "+f)
		}
		for _, d := range digests(f) {
			for _, enc := range []string{hex.EncodeToString(d), base64.StdEncoding.EncodeToString(d), base64.RawURLEncoding.EncodeToString(d)} {
				if bytes.Contains(wire, []byte(enc)) || bytes.Contains(lower, []byte(strings.ToLower(enc))) && len(enc) == 2*len(d) {
					leaks = append(leaks, "a hash of "+f)
				}
			}
			for _, b := range decoded {
				if bytes.Contains(b, d[:16]) {
					leaks = append(leaks, "a raw hash of "+f)
				}
			}
		}
	}
	return leaks
}

// TestPrivateMatchMostefai is the case of issue 17 on two real nodes over HTTP on
// loopback: France asks Turkey privately about "Ismaël Omar Mostefaï, 1985"; Turkey holds
// "Omar Ismail Mostefai, 1985"; the answer is a strong hit, the same name born 1991 and
// an unrelated man are not. Both sides are alerted on the hit, and every byte that
// crossed the wire is searched for the names and any unsalted hash of their parts.
func TestPrivateMatchMostefai(t *testing.T) {
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	held := &forewarn.Subject{Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	other := &forewarn.Subject{Names: []forewarn.Name{{Value: "Abdelhamid Abaaoud", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1987}}
	for _, s := range []*forewarn.Subject{held, other} {
		if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), s); err != nil {
			t.Fatal(err)
		}
	}

	// France reaches Turkey through the tap.
	trPeer, err := fr.node.Store.Peer(ctx, agencyTR.Code)
	if err != nil {
		t.Fatal(err)
	}
	tap := newWiretap(t, strings.TrimPrefix(tr.url, "http://"))
	if err := fr.node.Store.RemovePeer(ctx, forewarn.SystemActor("test"), agencyTR.Code); err != nil {
		t.Fatal(err)
	}
	trPeer.BaseURL = "http://" + tap.ln.Addr().String()
	if err := fr.node.Store.AddPeer(ctx, forewarn.SystemActor("test"), trPeer); err != nil {
		t.Fatal(err)
	}

	asked := []app.PrivatePerson{
		{Label: "Ismaël Omar Mostefaï", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985-11-21", Nationalities: []string{"FR"}}},
		{Label: "decoy", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1991"}},
		{Label: "someone else", Person: match.Person{Names: []string{"Samy Amimour"}, BirthDate: "1987"}},
	}
	q, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, asked)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{forewarn.PrivateBandStrong, forewarn.PrivateBandNone, forewarn.PrivateBandNone}
	for i, r := range q.Results {
		if r.Band != want[i] {
			t.Errorf("%s: band %s, want %s", asked[i].Label, r.Band, want[i])
		}
	}

	frAlerts, err := fr.node.Store.UserAlerts(ctx, string(forewarn.RoleLiaison), 0)
	if err != nil || len(frAlerts) != 1 || !strings.HasPrefix(frAlerts[0].Text, "TR-MIT: likely holds (strong)") {
		t.Errorf("France's alerts = %+v, %v; want one \"TR-MIT: likely holds (strong)\"", frAlerts, err)
	}
	trAlerts, err := tr.node.Store.Alerts(ctx, forewarn.RoleAnalyst, 0)
	found := false
	for _, a := range trAlerts {
		if a.Kind == "private_match" && a.SubjectID == held.ID && strings.HasPrefix(a.Text, "FR-DGSI asked privately about a person matching your subject Omar Ismail Mostefai") {
			found = true
		}
		if a.Kind == "private_match" && a.SubjectID == other.ID {
			t.Errorf("Turkey was alerted about %s, which nobody asked about", other.PrimaryName())
		}
	}
	if err != nil || !found {
		t.Errorf("Turkey's alerts = %+v, %v; want one on subject %s", trAlerts, err, held.ID)
	}
	in, err := tr.node.Store.PrivateQueries(ctx, forewarn.DirectionIn, 0)
	if err != nil || len(in) != 1 || in[0].Peer != agencyFR.Code || in[0].Persons != 3 || len(in[0].Results) != 1 || in[0].Results[0].SubjectID != held.ID {
		t.Errorf("Turkey's record of the query = %+v, %v", in, err)
	}

	wire := tap.bytes()
	if len(wire) < 3*64*32 {
		t.Fatalf("the tap saw %d bytes; the query alone is larger", len(wire))
	}
	if leaks := findLeaks(wire, "Ismaël Omar Mostefaï", "Omar Ismail Mostefai", "Samy Amimour", "Abdelhamid Abaaoud"); len(leaks) > 0 {
		t.Errorf("the wire carries %d leaks: %v", len(leaks), leaks[:min(len(leaks), 10)])
	}
	// The search itself can find what it looks for: a plain request naming the man leaks.
	if leaks := findLeaks([]byte(`{"name":"Omar Ismail Mostefai","h":"`+hex.EncodeToString(digests("mostefai")[0])+`"}`), "Omar Ismail Mostefai"); len(leaks) < 2 {
		t.Errorf("the leak search missed a plain name and its hash: %v", leaks)
	}
}
