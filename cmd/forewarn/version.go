package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; otherwise the
// module version and VCS stamp that the Go toolchain recorded are shown.
var version = ""

func runVersion(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("version", "Prints the version of this binary: its release, or the commit it was built from.", "forewarn version")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "forewarn "+versionString())
	return nil
}

// versionString is the release, or the commit and build date the toolchain stamped, and
// the Go version.
func versionString() string {
	v, rev, when, dirty := version, "", "", false
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	out := v
	if rev == "" && version == "" && (v == "(devel)" || v == "") {
		// Without a VCS stamp (GOFLAGS=-buildvcs=false, a build outside the clone) nothing
		// says which commit this is: say so rather than leave "(devel)" unexplained.
		out += ", no commit recorded (built without version control information, as with -buildvcs=false)"
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " commit " + rev
		if dirty {
			out += "+modified"
		}
		if when != "" {
			out += " (" + when + ")"
		}
	}
	goVersion := "unknown Go"
	if ok {
		goVersion = bi.GoVersion
	}
	return out + ", " + goVersion
}
