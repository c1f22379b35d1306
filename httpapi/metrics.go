package httpapi

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// SetMessages attaches the node's messaging to the server: the federation endpoint and
// the message API use it, and /metrics exports what it counts and what is overdue.
func (s *Server) SetMessages(ms *app.Messages) {
	s.Messages = ms
	counter := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	st := &ms.Stats
	s.registry.MustRegister(
		counter("forewarn_messages_received_total", "Messages accepted from peers.", st.Received.Load),
		counter("forewarn_messages_rejected_total", "Deliveries from peers refused (each is in the audit trail with its reason).", st.Rejected.Load),
		counter("forewarn_messages_delivered_total", "Messages receipted by a peer.", st.Delivered.Load),
		counter("forewarn_delivery_failures_total", "Delivery attempts that failed and will be retried.", st.DeliveryFailures.Load),
		counter("forewarn_delivery_requests_total", "Delivery requests made to peers: a batch of deliveries counts once.", st.Requests.Load),
		counter("forewarn_escalations_total", "Escalation steps fired.", st.Escalations.Load),
		counter("forewarn_matches_on_arrival_total", "Matches found when messages arrived.", st.Matches.Load),
	)
	for _, dir := range []forewarn.Direction{forewarn.DirectionIn, forewarn.DirectionOut} {
		dir := dir
		s.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "forewarn_messages_overdue",
			Help:        "Messages with an overdue, unacknowledged delivery: received (in) or sent (out).",
			ConstLabels: prometheus.Labels{"direction": string(dir)},
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, total, err := ms.Store.Messages(ctx, forewarn.MessageFilter{Direction: dir, Overdue: true, Limit: 1})
			if err != nil {
				s.Logger.Error("metrics: count overdue messages", "err", err)
				return -1
			}
			return float64(total)
		}))
	}
	s.registry.MustRegister(inFlightLimits{ms: ms, desc: prometheus.NewDesc("forewarn_delivery_in_flight_limit",
		"Deliveries the worker may have in flight to each peer now: 16 to 64, adapted to the peer's round trip.", []string{"peer"}, nil)})
	if ms.Matcher != nil {
		s.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forewarn_match_index_entries", Help: "Subjects and received persons in the match index.",
		}, func() float64 { return float64(ms.Matcher.Index.Len()) }))
	}
}

// inFlightLimits exports each peer's adaptive bound on deliveries in flight.
type inFlightLimits struct {
	ms   *app.Messages
	desc *prometheus.Desc
}

func (c inFlightLimits) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c inFlightLimits) Collect(ch chan<- prometheus.Metric) {
	for peer, n := range c.ms.InFlightLimits() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), peer)
	}
}

// metricsGuard serves /metrics to a client presenting MetricsToken, or, when none is set,
// to loopback clients only (a Prometheus on the node's machine, or behind its proxy).
// Refusals are audited like any other.
func (s *Server) metricsGuard(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var err error
		if s.MetricsToken != "" {
			got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.MetricsToken)) != 1 {
				err = forewarn.Errorf(forewarn.EUNAUTHORIZED, "/metrics needs the metrics token (Authorization: Bearer TOKEN)")
			}
		} else if ip := net.ParseIP(hostOnly(r.RemoteAddr)); ip == nil || !ip.IsLoopback() {
			err = forewarn.Errorf(forewarn.EFORBIDDEN, "/metrics answers the node's own machine only, unless the node is given a metrics token")
		}
		if err != nil {
			s.deny(r, "", err)
			s.writeError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	}
}
