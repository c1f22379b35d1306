package match

import (
	"os"
	"strings"
	"testing"
)

func TestScratchKeys(t *testing.T) {
	for _, w := range strings.Split(os.Getenv("FW_W"), ",") {
		if w == "" {
			continue
		}
		for _, p := range Normalize(w) {
			t.Logf("%-14s fold %-12s key %-12s skel %-8s diph %s", w, p, phoneticKey(p), Skeleton(p), appendDiphthongKey(nil, phoneticKey(p)))
		}
	}
}
