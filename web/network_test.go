package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/app"
)

// realisticNetwork is a subject linked to 7 persons one hop away (subjects and persons in
// messages, long names among them), and through them to 15 more, as a busy case is.
func realisticNetwork() *app.Network {
	n := &app.Network{Nodes: []app.NetworkNode{{ID: "subject:root", Label: "Ismaël Omar Mostefaï", SubjectID: "root"}}}
	names := []string{"Samy Amimour", "Foued Mohamed-Aggad", "Abdelhamid Abaaoud", "Omar Ismail Mostefai", "Brahim Abdeslam",
		"Salah Abdeslam", "Bilal Hadfi", "Chakib Akrouh", "Mohamed Abrini", "Ahmed Dahmani", "Hasna Aït Boulahcen",
		"Mohammed Amri", "Hamza Attou", "Ali Oulkadi", "Abdellah Chouaa", "Jawad Bendaoud", "Youssef Ben Abdelkader Al-Muhajir",
		"Oussama Atar", "Najim Laachraoui", "Khalid El Bakraoui", "Ibrahim El Bakraoui", "Mohamed Belkaid"}
	for i, name := range names {
		hops, node := 1, app.NetworkNode{Label: name}
		if i >= 7 {
			hops = 2
		}
		node.Hops = hops
		if i%3 == 0 {
			node.ID, node.MessageID = fmt.Sprintf("person:m%d/p1", i), fmt.Sprintf("m%d", i)
		} else {
			node.ID, node.SubjectID = fmt.Sprintf("subject:s%d", i), fmt.Sprintf("s%d", i)
		}
		n.Nodes = append(n.Nodes, node)
		from := "subject:root"
		if hops == 2 {
			from = n.Nodes[1+(i*5)%7].ID
		}
		kind := []string{"associate_of", "travelled_with", "identified_through", "match"}[i%4]
		n.Edges = append(n.Edges, app.NetworkEdge{From: from, To: node.ID, Kind: kind, Source: "TR-MIT notification of 15 Dec 2014"})
	}
	// Two persons of one layer linked to each other, and a second link to a person.
	n.Edges = append(n.Edges, app.NetworkEdge{From: n.Nodes[1].ID, To: n.Nodes[2].ID, Kind: "associate_of", Source: "FR-DGSI"},
		app.NetworkEdge{From: n.Nodes[3].ID, To: n.Nodes[12].ID, Kind: "travelled_with", Source: "BE-SE"})
	return n
}

// TestNetworkLayout: in a network of realistic size no two persons' words (name and
// caption, with the circle) overlap, every person is drawn once and linked to its page,
// the drawing fills its viewBox (its bounding box, less a small margin, is the viewBox),
// and the same network is always drawn the same.
func TestNetworkLayout(t *testing.T) {
	n := realisticNetwork()
	v := layoutNetwork(english, n)
	if len(v.Nodes) != len(n.Nodes) {
		t.Fatalf("%d persons drawn, want %d", len(v.Nodes), len(n.Nodes))
	}
	for i, a := range v.Nodes {
		if a.Href == "" || !strings.HasPrefix(a.Href, "/subjects/") && !strings.HasPrefix(a.Href, "/messages/") {
			t.Errorf("%s links to %q, not to its subject or message", a.Label, a.Href)
		}
		if a.Box.X0 < 0 || a.Box.Y0 < 0 || a.Box.X1 > float64(v.Width) || a.Box.Y1 > float64(v.Height) {
			t.Errorf("%s (%+v) lies outside the viewBox %dx%d", a.Label, a.Box, v.Width, v.Height)
		}
		// The box covers the circle and the words as drawn.
		words := max(textWidth(a.Label, netNameSize), textWidth(a.Caption, netCaptionSize))
		if a.X-a.R < a.Box.X0 || a.TextX+words > a.Box.X1+0.1 || a.Y-a.R < a.Box.Y0 || a.LabelY-netNameSize < a.Box.Y0 || a.CaptionY+3 > a.Box.Y1 {
			t.Errorf("%s: its box %+v does not cover what is drawn", a.Label, a.Box)
		}
		for _, b := range v.Nodes[i+1:] {
			if a.Box.overlaps(b.Box) {
				t.Errorf("the words of %q %+v and %q %+v overlap", a.Label, a.Box, b.Label, b.Box)
			}
		}
	}
	if len(v.Edges) != len(n.Edges) {
		t.Errorf("%d links drawn, want %d", len(v.Edges), len(n.Edges))
	}
	// The drawing fills its box: the bounding box of everything drawn is the viewBox less
	// the margin on each side.
	bb := v.Nodes[0].Box
	for _, nd := range v.Nodes {
		bb = box{min(bb.X0, nd.Box.X0), min(bb.Y0, nd.Box.Y0), max(bb.X1, nd.Box.X1), max(bb.Y1, nd.Box.Y1)}
	}
	if fw, fh := (bb.X1-bb.X0)/float64(v.Width), (bb.Y1-bb.Y0)/float64(v.Height); fw < 0.9 || fh < 0.9 {
		t.Errorf("the drawing covers %.0f%% of the viewBox's width and %.0f%% of its height, want 90%% or more: bounding box %+v in %dx%d", fw*100, fh*100, bb, v.Width, v.Height)
	}
	if v.Width > 1000 || float64(v.Height) > 2.5*float64(v.Width) {
		t.Errorf("a %dx%d drawing is out of proportion for a page", v.Width, v.Height)
	}
	if again := layoutNetwork(english, realisticNetwork()); fmt.Sprint(again) != fmt.Sprint(v) {
		t.Error("the same network is drawn differently twice")
	}
}
