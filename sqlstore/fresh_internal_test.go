package sqlstore

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// A new outgoing delivery stored through freshDeliveryInsert gets the row deliveriesInsert
// would give it: each value the statement writes itself is the one deliveryArgs binds
// there, and the others are bound in their places. A delivery that holds anything more is
// not fresh, so it goes through deliveriesInsert.
func TestFreshDeliveryInsertWritesTheSameRow(t *testing.T) {
	now := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	d := &forewarn.Delivery{MessageID: "m1", Agency: "FR-DGSI", Direction: forewarn.DirectionOut, NextAttempt: now, Deadline: now.Add(time.Hour), NextEscalation: now.Add(time.Minute)}
	if !freshDelivery(d) {
		t.Fatal("a new outgoing delivery is not fresh")
	}
	for claimed, insert := range freshDeliveryInsert {
		full := deliveriesInsert(1, claimed == 1)
		if cols := func(q string) string { return q[:strings.Index(q, " VALUES ")] }; cols(insert) != cols(full) {
			t.Errorf("columns %q, want %q", cols(insert), cols(full))
		}
		row := strings.TrimSuffix(insert[strings.Index(insert, " VALUES (")+len(" VALUES ("):], ")")
		bound := freshDeliveryArgs(d, forewarn.PriorityUrgent)
		want := deliveryArgs(d, forewarn.PriorityUrgent)
		if claimed == 1 {
			bound, want = append(bound, "server"), append(want, "server")
		}
		var got []any
		for _, v := range strings.Split(row, ", ") {
			switch v {
			case "?":
				if len(bound) == 0 {
					t.Fatalf("%s: more placeholders than values", insert)
				}
				got, bound = append(got, bound[0]), bound[1:]
			case "0":
				got = append(got, 0)
			case "''":
				got = append(got, "")
			case "NULL":
				got = append(got, nil)
			default:
				t.Fatalf("%s: unexpected %q", insert, v)
			}
		}
		if len(bound) > 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("claimed %d: the fresh insert writes %v (%d values left), deliveriesInsert %v", claimed, got, len(bound), want)
		}
	}
	for name, set := range map[string]func(d *forewarn.Delivery){
		"attempts":       func(d *forewarn.Delivery) { d.Attempts = 1 },
		"last error":     func(d *forewarn.Delivery) { d.LastError = "refused" },
		"delivered":      func(d *forewarn.Delivery) { d.DeliveredAt = now },
		"receipt":        func(d *forewarn.Delivery) { d.Receipt = []byte("r") },
		"read":           func(d *forewarn.Delivery) { d.ReadAt = now },
		"read by":        func(d *forewarn.Delivery) { d.ReadBy = "a" },
		"actioned":       func(d *forewarn.Delivery) { d.ActionAt = now },
		"actioned by":    func(d *forewarn.Delivery) { d.ActionBy = "a" },
		"outcome":        func(d *forewarn.Delivery) { d.Outcome = "o" },
		"reason":         func(d *forewarn.Delivery) { d.Reason = "r" },
		"escalated":      func(d *forewarn.Delivery) { d.Escalated = 1 },
		"overdue":        func(d *forewarn.Delivery) { d.Overdue = now },
		"ack arrived":    func(d *forewarn.Delivery) { d.AckArrivedAt = now },
		"owner":          func(d *forewarn.Delivery) { d.Owner = "a" },
		"assigned by":    func(d *forewarn.Delivery) { d.AssignedBy = "a" },
		"assigned":       func(d *forewarn.Delivery) { d.AssignedAt = now },
		"receipt, empty": nil,
	} {
		v := *d
		if set == nil {
			v.Receipt = []byte{} // bound as NULL by deliveryArgs too: still fresh
			if !freshDelivery(&v) {
				t.Errorf("%s: not fresh", name)
			}
			continue
		}
		set(&v)
		if freshDelivery(&v) {
			t.Errorf("a delivery with its %s set is taken as fresh", name)
		}
	}
}

// An arrival's delivery stored through arrivedDeliveryInsert gets the row deliveriesInsert
// would give it, as a fresh one does through freshDeliveryInsert; one that holds anything
// more, or is outgoing, is not taken for an arrival's.
func TestArrivedDeliveryInsertWritesTheSameRow(t *testing.T) {
	now := time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)
	d := &forewarn.Delivery{MessageID: "m1", Agency: "TR-MIT", Direction: forewarn.DirectionIn, DeliveredAt: now, Receipt: []byte("signed receipt"),
		Deadline: now.Add(time.Hour), NextEscalation: now.Add(time.Minute)}
	if !arrivedDelivery(d) {
		t.Fatal("an arrival's delivery is not taken for one")
	}
	full := deliveriesInsert(1, false)
	if cols := func(q string) string { return q[:strings.Index(q, " VALUES ")] }; cols(arrivedDeliveryInsert) != cols(full) {
		t.Errorf("columns %q, want %q", cols(arrivedDeliveryInsert), cols(full))
	}
	row := strings.TrimSuffix(arrivedDeliveryInsert[strings.Index(arrivedDeliveryInsert, " VALUES (")+len(" VALUES ("):], ")")
	bound := arrivedDeliveryArgs(d, forewarn.PriorityFlash)
	var got []any
	for _, v := range strings.Split(row, ", ") {
		switch v {
		case "?":
			if len(bound) == 0 {
				t.Fatalf("%s: more placeholders than values", arrivedDeliveryInsert)
			}
			got, bound = append(got, bound[0]), bound[1:]
		case "'in'":
			got = append(got, "in")
		case "0":
			got = append(got, 0)
		case "''":
			got = append(got, "")
		case "NULL":
			got = append(got, nil)
		default:
			t.Fatalf("%s: unexpected %q", arrivedDeliveryInsert, v)
		}
	}
	if want := deliveryArgs(d, forewarn.PriorityFlash); len(bound) > 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("the arrival's insert writes %v (%d values left), deliveriesInsert %v", got, len(bound), want)
	}
	for name, set := range map[string]func(d *forewarn.Delivery){
		"outgoing":     func(d *forewarn.Delivery) { d.Direction = forewarn.DirectionOut },
		"attempts":     func(d *forewarn.Delivery) { d.Attempts = 1 },
		"next attempt": func(d *forewarn.Delivery) { d.NextAttempt = now },
		"last error":   func(d *forewarn.Delivery) { d.LastError = "refused" },
		"read":         func(d *forewarn.Delivery) { d.ReadAt = now },
		"read by":      func(d *forewarn.Delivery) { d.ReadBy = "a" },
		"actioned":     func(d *forewarn.Delivery) { d.ActionAt = now },
		"actioned by":  func(d *forewarn.Delivery) { d.ActionBy = "a" },
		"outcome":      func(d *forewarn.Delivery) { d.Outcome = "o" },
		"reason":       func(d *forewarn.Delivery) { d.Reason = "r" },
		"escalated":    func(d *forewarn.Delivery) { d.Escalated = 1 },
		"overdue":      func(d *forewarn.Delivery) { d.Overdue = now },
		"ack arrived":  func(d *forewarn.Delivery) { d.AckArrivedAt = now },
		"owner":        func(d *forewarn.Delivery) { d.Owner = "a" },
		"assigned by":  func(d *forewarn.Delivery) { d.AssignedBy = "a" },
		"assigned":     func(d *forewarn.Delivery) { d.AssignedAt = now },
	} {
		v := *d
		set(&v)
		if arrivedDelivery(&v) {
			t.Errorf("a delivery with its %s set is taken for an arrival's", name)
		}
	}
}
