package app

import (
	"runtime/debug"
	"testing"
)

// TestServingGCPercent: a small live heap may grow by four times its size, a larger one
// by no more than the default growth plus servingHeadroom, and none by less than the
// default.
func TestServingGCPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{30 << 20, 400},
		{64 << 20, 400},
		{128 << 20, 300},
		{256 << 20, 200},
		{1 << 30, 125},
		{64 << 30, 100},
	} {
		if got := servingGCPercent(c.live); got != c.want {
			t.Errorf("servingGCPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestCollectForServingRestores: the setting follows the live heap while a node serves,
// and is what it was once the last of two nodes stops; GOGC in the environment is left
// alone.
func TestCollectForServingRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(90)
	defer debug.SetGCPercent(old)
	stop1, stop2 := CollectForServing(), CollectForServing()
	if got := currentGCPercent(); got < 100 || got > maxServingGCPercent {
		t.Errorf("while serving GOGC is %d, want within [100, %d]", got, maxServingGCPercent)
	}
	stop1()
	stop1() // a second call does nothing
	if got := currentGCPercent(); got == 90 {
		t.Errorf("GOGC restored while a node still serves")
	}
	stop2()
	if got := currentGCPercent(); got != 90 {
		t.Errorf("after the last node stopped GOGC is %d, want 90 as before", got)
	}
	t.Setenv("GOGC", "90")
	stop := CollectForServing()
	if got := currentGCPercent(); got != 90 {
		t.Errorf("with GOGC set, serving made it %d", got)
	}
	stop()
}
