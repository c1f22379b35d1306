package main

import (
	"context"
	"errors"
)

// Placeholders until the matcher's subcommands land; replaced by the match work.
func runScreen(ctx context.Context, m *Main, args []string) error {
	return errors.New("screen: not built yet")
}

func runCompare(ctx context.Context, m *Main, args []string) error {
	return errors.New("compare: not built yet")
}

func runBenchMatch(ctx context.Context, m *Main, args []string) error {
	return errors.New("bench-match: not built yet")
}
