package main

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/mailpit"
)

// BenchmarkNotificationLatency measures the time from a causing event to the mail
// server's accept: Turkey delivers a flash warning to France over loopback HTTP; France
// stores it (the notification is queued in that transaction) and its notification worker,
// running on the default tick, e-mails the liaison desk through a real SMTP server
// (Mailpit). The latency is from the arrival's transaction time to the server's reply to
// DATA. It reports p50 and p99.
func BenchmarkNotificationLatency(b *testing.B) {
	mp := mailpit.Start(b, mailpit.Options{})
	tick := time.Second // serve's default --tick
	tr, fr := pairNodes(b, "", func(code string) *serveFlags {
		return &serveFlags{listen: "127.0.0.1:0", replayWindow: app.DefaultReplayWindow, tick: tick, notify: &notifyFlags{
			smtpHost: mp.SMTPHost, smtpPort: mp.SMTPPort, smtpTLS: "none", smtpFrom: "forewarn@" + code + ".example", digestHour: -1}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	setup := forewarn.SystemActor("bench")
	if err := fr.node.Store.CreateUser(ctx, setup, &forewarn.User{Username: "desk", DisplayName: "Desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		b.Fatal(err)
	}
	if err := fr.node.Store.SetNotificationSettings(ctx, setup, &forewarn.NotificationSettings{Username: "desk", Email: "desk@fr-dgsi.example"}); err != nil {
		b.Fatal(err)
	}
	accepted := make(chan time.Duration, 16)
	fr.notifier.OnSent = func(x *forewarn.Notice) { accepted <- time.Since(x.CreatedAt) }
	go fr.notifier.Run(ctx, tick)
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		_, err := tr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
			Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
			Notification: &forewarn.Notification{Summary: "benchmark " + strconv.Itoa(i), Priority: forewarn.PriorityFlash,
				Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}},
		})
		if err != nil {
			b.Fatal(err)
		}
		if n, err := tr.msgs.DeliverDue(ctx, 1); err != nil || n != 1 {
			b.Fatalf("delivered %d, %v", n, err)
		}
		select {
		case d := <-accepted:
			took = append(took, d)
		case <-time.After(30 * time.Second):
			b.Fatalf("no e-mail accepted 30 s after warning %d arrived", i)
		}
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	pct := func(p float64) float64 { return float64(took[int(float64(len(took)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if n := mp.Count(b); n < b.N {
		b.Fatalf("Mailpit holds %d e-mails, want %d", n, b.N)
	}
}
