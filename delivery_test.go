package forewarn_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestStatusWithoutDeadline: an acknowledgement or an answer sent back has no deadline and
// waits for nothing, so its status never says "not acknowledged"; a warning's does.
func TestStatusWithoutDeadline(t *testing.T) {
	at := time.Date(2014, 12, 15, 9, 30, 0, 0, time.UTC)
	ack := &forewarn.Delivery{Agency: "TR-MIT", Direction: forewarn.DirectionOut, DeliveredAt: at}
	if s := ack.Status(); s != "delivered 15 Dec 2014 09:30 UTC" {
		t.Errorf("an acknowledgement delivered: %q", s)
	}
	ack.ReadAt = at.Add(time.Hour)
	if s := ack.Status(); strings.Contains(s, "not acknowledged") || !strings.Contains(s, "read 15 Dec 2014 10:30 UTC") {
		t.Errorf("an answer delivered and read: %q", s)
	}
	warning := &forewarn.Delivery{Agency: "FR-DGSI", Direction: forewarn.DirectionOut, DeliveredAt: at, Deadline: at.Add(24 * time.Hour)}
	if s := warning.Status(); s != "delivered 15 Dec 2014 09:30 UTC, not acknowledged" {
		t.Errorf("a warning delivered: %q", s)
	}
}

// TestStatusOfAFailingDeliverySaysItRetries: "not delivered after 3 attempts" alone reads
// as given up; the worker keeps trying, and the status says when next.
func TestStatusOfAFailingDeliverySaysItRetries(t *testing.T) {
	at := time.Date(2014, 12, 15, 9, 30, 0, 0, time.UTC)
	d := &forewarn.Delivery{Agency: "FR-DGSI", Direction: forewarn.DirectionOut, Attempts: 3, NextAttempt: at, LastError: "connection refused"}
	if s := d.Status(); s != "not delivered after 3 attempts (connection refused); trying again at 15 Dec 2014 09:30 UTC" {
		t.Errorf("a failing delivery: %q", s)
	}
}
