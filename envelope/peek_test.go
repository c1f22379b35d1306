package envelope

import "testing"

func TestClaimedSender(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"message":{"created":"x","from":"TR-MIT","id":"y"},"signatures":[],"v":1}`, "TR-MIT"},
		{` { "v" : 1 , "signatures" : [ {"key_id":"FR-DGSI","x":"}]\""} ] , "message" : { "persons" : [ {"from":"XX-NO"} ] , "fr\u006fm" : "TR-MIT" } }`, "TR-MIT"},
		{`{"from":"TR-MIT","message":{}}`, ""},
		{`{"message":{"persons":[{"from":"TR-MIT"}]}}`, ""},
		{`{"message":{"from":"TR-MIT`, ""},
		{`[{"message":{"from":"TR-MIT"}}]`, ""},
		{``, ""},
	} {
		if got := ClaimedSender([]byte(tc.in)); got != tc.want {
			t.Errorf("ClaimedSender(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
